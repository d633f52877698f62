//go:build unix

package autograd

import (
	"syscall"
	"time"
)

// processCPU is the processor time of the whole process (every thread,
// user and system) so far; 0 where it cannot be read.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
