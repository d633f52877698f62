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
type Profile struct {
	mu       sync.Mutex
	fwd, bwd map[string]time.Duration
	n        map[string]int
	cur      string
}

// ProfileRow is one layer type's share.
type ProfileRow struct {
	Kind     string  `json:"kind"`
	Forward  float64 `json:"forward_s"`
	Backward float64 `json:"backward_s"`
	Calls    int     `json:"calls"` // forward calls
}

var active atomic.Pointer[Profile]

// StartProfile starts recording and returns the profile.
func StartProfile() *Profile {
	p := &Profile{fwd: map[string]time.Duration{}, bwd: map[string]time.Duration{}, n: map[string]int{}}
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
	t0 := time.Now()
	return func() {
		d := time.Since(t0)
		p.mu.Lock()
		p.fwd[p.cur] += d
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
	t0 := time.Now()
	v.backward(v.Grad)
	d := time.Since(t0)
	p.mu.Lock()
	p.bwd[v.kind] += d
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
		r.Calls += p.n[k]
	}
	for k, d := range p.bwd {
		get(k).Backward += d.Seconds()
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
	fmt.Fprintf(&sb, "%-22s %6s %10s %10s %7s\n", "layer type", "calls", "fwd ms", "bwd ms", "share")
	rows := p.Rows()
	for _, r := range rows {
		tf += r.Forward
		tb += r.Backward
	}
	for _, r := range rows {
		fmt.Fprintf(&sb, "%-22s %6d %10.1f %10.1f %6.1f%%\n", r.Kind, r.Calls, 1e3*r.Forward, 1e3*r.Backward, 100*(r.Forward+r.Backward)/max(tf+tb, 1e-12))
	}
	fmt.Fprintf(&sb, "%-22s %6s %10.1f %10.1f", "total", "", 1e3*tf, 1e3*tb)
	return sb.String()
}
