//go:build !unix

package main

import "os"

// maxRSSKiB is unknown where the kernel reports no resource usage; the table
// then shows "?".
func maxRSSKiB(*os.ProcessState) (int64, bool) { return 0, false }
