//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package tokenstore

import (
	"fmt"
	"os"
	"runtime"
)

// tryLockFile fails on platforms without flock or LockFileEx: the file
// backend refuses to run unlocked, since two unlocked processes would
// present the same rotating refresh token. Use the postgres or vault
// backend there.
func tryLockFile(*os.File, bool) (bool, error) {
	return false, fmt.Errorf("file locking is not supported on %s: use the postgres or vault token store", runtime.GOOS)
}

func unlockFile(*os.File) error { return nil }

func syncDir(string) error { return nil }
