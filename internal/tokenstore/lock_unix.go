//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tokenstore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLockFile takes a flock(2) lock on f without blocking and reports
// whether it got it. flock locks belong to the open file description, so
// two opens in one process exclude each other as two processes do, and the
// kernel drops the lock when the process dies: a crash never leaves the store
// locked.
func tryLockFile(f *os.File, exclusive bool) (bool, error) {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EWOULDBLOCK), errors.Is(err, unix.EINTR):
		return false, nil
	default:
		return false, err
	}
}

func unlockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// syncDir makes a rename in dir durable: the rename is a change of the
// directory, which fsync of the renamed file does not cover.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
