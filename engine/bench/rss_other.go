//go:build !unix

package bench

import (
	"math"
	"os"
)

// maxRSS is unknown (0) where the OS does not report it through rusage.
func maxRSS(*os.ProcessState) int64 { return 0 }

// cpuTime is unknown (NaN) here.
func cpuTime() float64 { return math.NaN() }
