//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package sysmem

import "golang.org/x/sys/unix"

// available is the physical memory: these systems do not say cheaply how
// much of it is free, and the check it serves is for batches that could
// never fit.
func available() (int64, bool) {
	name := "hw.physmem"
	if goos == "darwin" {
		name = "hw.memsize"
	}
	n, err := unix.SysctlUint64(name)
	if err != nil || n == 0 {
		return 0, false
	}
	return int64(min(n, 1<<62)), true
}
