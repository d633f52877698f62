package autograd

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Profile adds up, per layer type, the time of the forward pass (each
// model node's Forward, timed by its caller through ProfileBegin) and of
// the backward pass (each op's backward function, attributed to the layer
// type that was current when the op was made). One profile is active at a
// time; while none is, the hooks cost one atomic load.
//
// Each span also records the processor time the whole process used
// meanwhile (every thread): over the wall time and the thread count, it
// says how well a layer type keeps the cores busy. Work of other
// goroutines running at the same time (a data loader) counts too.
type Profile struct {
	mu             sync.Mutex
	fwd, bwd       map[string]time.Duration
	fwdCPU, bwdCPU map[string]time.Duration
	n              map[string]int
	cur            string
}

// ProfileRow is one layer type's share.
type ProfileRow struct {
	Kind     string  `json:"kind"`
	Forward  float64 `json:"forward_s"`
	Backward float64 `json:"backward_s"`
	Calls    int     `json:"calls"` // forward calls
	// ForwardCPU and BackwardCPU are the process's processor seconds
	// during those spans (0 where the system does not report it).
	ForwardCPU  float64 `json:"forward_cpu_s"`
	BackwardCPU float64 `json:"backward_cpu_s"`
}

var active atomic.Pointer[Profile]

// StartProfile starts recording and returns the profile.
func StartProfile() *Profile {
	p := &Profile{fwd: map[string]time.Duration{}, bwd: map[string]time.Duration{}, n: map[string]int{},
		fwdCPU: map[string]time.Duration{}, bwdCPU: map[string]time.Duration{}}
	active.Store(p)
	return p
}

// Stop ends recording (if p is the active profile) and returns p.
func (p *Profile) Stop() *Profile {
	active.CompareAndSwap(p, nil)
	return p
}

// Profiling reports whether a profile is recording.
func Profiling() bool { return active.Load() != nil }

// ProfileBegin marks the start of a layer of the given type in the
// forward pass; the returned function ends it. Ops made in between are
// attributed to kind (or to what ProfileLabel renames it to) in the
// backward pass.
func ProfileBegin(kind string) (end func()) {
	p := active.Load()
	if p == nil {
		return func() {}
	}
	p.mu.Lock()
	p.cur = kind
	p.mu.Unlock()
	c0 := processCPU()
	t0 := time.Now()
	return func() {
		d := time.Since(t0)
		c := processCPU() - c0
		p.mu.Lock()
		p.fwd[p.cur] += d
		p.fwdCPU[p.cur] += c
		p.n[p.cur]++
		p.cur = ""
		p.mu.Unlock()
	}
}

// ProfileLabel renames the current layer (a convolution names the path it
// took).
func ProfileLabel(kind string) {
	if p := active.Load(); p != nil {
		p.mu.Lock()
		p.cur = kind
		p.mu.Unlock()
	}
}

// profileConv names a convolution's path in the current layer: "conv
// PATH", or "conv+bn PATH" inside a folded conv+BN layer.
func profileConv(path string) {
	p := active.Load()
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.HasPrefix(p.cur, "conv+bn") {
		p.cur = "conv+bn " + path
	} else {
		p.cur = "conv " + path
	}
}

// profileKind is the current layer type, for newOp.
func profileKind() string {
	p := active.Load()
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// profileBackward runs an op's backward function, timing it when a
// profile is recording.
func profileBackward(v *Var) {
	p := active.Load()
	if p == nil {
		v.backward(v.Grad)
		return
	}
	c0 := processCPU()
	t0 := time.Now()
	v.backward(v.Grad)
	d := time.Since(t0)
	c := processCPU() - c0
	p.mu.Lock()
	p.bwd[v.kind] += d
	p.bwdCPU[v.kind] += c
	p.mu.Unlock()
}

// Rows lists the layer types by total time, largest first; ops made
// outside any layer (the loss) are "other".
func (p *Profile) Rows() []ProfileRow {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]*ProfileRow{}
	get := func(k string) *ProfileRow {
		if k == "" {
			k = "other"
		}
		if r, ok := seen[k]; ok {
			return r
		}
		r := &ProfileRow{Kind: k}
		seen[k] = r
		return r
	}
	for k, d := range p.fwd {
		r := get(k)
		r.Forward += d.Seconds()
		r.ForwardCPU += p.fwdCPU[k].Seconds()
		r.Calls += p.n[k]
	}
	for k, d := range p.bwd {
		r := get(k)
		r.Backward += d.Seconds()
		r.BackwardCPU += p.bwdCPU[k].Seconds()
	}
	rows := make([]ProfileRow, 0, len(seen))
	for _, r := range seen {
		rows = append(rows, *r)
	}
	sort.Slice(rows, func(i, j int) bool {
		ti, tj := rows[i].Forward+rows[i].Backward, rows[j].Forward+rows[j].Backward
		if ti != tj {
			return ti > tj
		}
		return rows[i].Kind < rows[j].Kind
	})
	return rows
}

// Table formats Rows as aligned text with a total line.
func (p *Profile) Table() string {
	var sb strings.Builder
	var tf, tb float64
	var cf, cb float64
	fmt.Fprintf(&sb, "%-22s %6s %10s %10s %7s %12s\n", "layer type", "calls", "fwd ms", "bwd ms", "share", "cpu ms/ms")
	rows := p.Rows()
	for _, r := range rows {
		tf += r.Forward
		tb += r.Backward
		cf += r.ForwardCPU
		cb += r.BackwardCPU
	}
	// cpu ms/ms: processor time over wall time, the cores kept busy on
	// average (2.0: both of two).
	busy := func(cpu, wall float64) float64 { return cpu / max(wall, 1e-12) }
	for _, r := range rows {
		fmt.Fprintf(&sb, "%-22s %6d %10.1f %10.1f %6.1f%% %12.2f\n", r.Kind, r.Calls, 1e3*r.Forward, 1e3*r.Backward,
			100*(r.Forward+r.Backward)/max(tf+tb, 1e-12), busy(r.ForwardCPU+r.BackwardCPU, r.Forward+r.Backward))
	}
	fmt.Fprintf(&sb, "%-22s %6s %10.1f %10.1f %7s %12.2f", "total", "", 1e3*tf, 1e3*tb, "", busy(cf+cb, tf+tb))
	return sb.String()
}
