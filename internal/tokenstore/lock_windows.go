//go:build windows

package tokenstore

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// tryLockFile takes a LockFileEx lock on the first byte of f without
// blocking and reports whether it got it. Windows releases it when the
// handle closes or the process dies.
func tryLockFile(f *os.File, exclusive bool) (bool, error) {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, new(windows.Overlapped))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	default:
		return false, err
	}
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}

// syncDir does nothing: Windows cannot flush a directory opened this way,
// and NTFS journals the rename's metadata itself.
func syncDir(string) error { return nil }
