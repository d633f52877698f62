package bench

import (
	"context"
	"slices"
	"time"
)

// The timing protocol shared with peers/benchlib.py.
const (
	warmupCalls    = 2
	warmupTime     = 200 * time.Millisecond
	minCalls       = 5
	defaultMinTime = time.Second
	maxCalls       = 1000
)

// Timing is the outcome of Measure: seconds per call.
type Timing struct {
	Best, Median float64
	Calls        int
	// CPU is the mean processor time per timed call, summed over all
	// threads of the process (NaN where the OS does not say). Unlike wall
	// time it does not grow while other programs hold the cores, so
	// threads*flops/CPU estimates speed on a busy machine (spinning
	// BLAS threads inflate it a little).
	CPU float64
}

// Measure times f: warm-up calls until at least 2 calls and 0.2 s, then
// timed calls until at least 5 calls and o.MinTime seconds (default 1 s;
// at most 1000 calls). It stops early, returning ctx's error, when ctx is
// cancelled.
func (o Options) Measure(ctx context.Context, f func()) (Timing, error) {
	minTime := defaultMinTime
	if o.MinTime > 0 {
		minTime = time.Duration(o.MinTime * float64(time.Second))
	}
	start := time.Now()
	for n := 0; n < warmupCalls || time.Since(start) < warmupTime; n++ {
		if err := ctx.Err(); err != nil {
			return Timing{}, err
		}
		f()
	}
	var times []float64
	cpu0 := cpuTime()
	start = time.Now()
	for len(times) < maxCalls && (len(times) < minCalls || time.Since(start) < minTime) {
		if err := ctx.Err(); err != nil {
			return Timing{}, err
		}
		t0 := time.Now()
		f()
		times = append(times, time.Since(t0).Seconds())
	}
	cpu := (cpuTime() - cpu0) / float64(len(times))
	slices.Sort(times)
	return Timing{Best: times[0], Median: median(times), Calls: len(times), CPU: cpu}, nil
}

// median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
