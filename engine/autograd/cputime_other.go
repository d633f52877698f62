//go:build !unix

package autograd

import "time"

// processCPU is not measured on this system: profiles report no
// processor time.
func processCPU() time.Duration { return 0 }
