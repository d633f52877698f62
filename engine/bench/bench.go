package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// Options are the settings both sides of a run receive. They travel to
// the child process and to the peer script as JSON.
type Options struct {
	Threads int    `json:"threads"`
	Seed    int64  `json:"seed"`
	Device  string `json:"device"`
	// Impl picks our implementation where a workload has several; gemm
	// accepts "" (blas.Sgemm, the build's native BLAS) and "go"
	// (blas.SgemmGo).
	Impl string `json:"impl,omitempty"`
	// Sizes overrides a workload's problem sizes (gemm: square sizes).
	Sizes []int `json:"sizes,omitempty"`
	// MinTime is the least time, in seconds, spent in timed calls per
	// measurement (0: 1 s); tests shorten it.
	MinTime float64 `json:"min_time,omitempty"`
	// Dir is a scratch folder shared by both sides of one run (for
	// example, data our side writes for the peer to read). The Runner
	// creates it and removes it afterwards.
	Dir string `json:"dir,omitempty"`
	// Params holds other workload-specific settings.
	Params map[string]string `json:"params,omitempty"`

	// Logf writes a progress line to the user (on our side: the child's
	// stderr, which the parent forwards). Never nil inside Ours.
	Logf func(format string, args ...any) `json:"-"`
}

// Result is what one side reports.
type Result struct {
	Value  float64        `json:"value"`            // headline figure, in the workload's Unit
	Fields map[string]any `json:"fields,omitempty"` // extra figures

	// Filled in by the harness, not by the workload:
	MaxRSS  int64   `json:"max_rss,omitempty"` // peak resident memory of the process, bytes (0: unknown)
	Seconds float64 `json:"seconds,omitempty"` // wall time of the process
}

// Peer is a reference implementation run as a Python script.
type Peer struct {
	Name    string   // the --against value: "pytorch", "numpy", "sklearn"
	Script  string   // file name in peers/ (embedded in the binary)
	Modules []string // Python modules it imports, checked before running
	// Source, when set, is the script itself and Script only names it (tests).
	Source []byte
}

// Comparison is the outcome of a run with a peer.
type Comparison struct {
	Ours, Peer float64        // the figures set side by side, in Unit
	Ratio      float64        // above 1: we are better
	Fields     map[string]any // extra done fields
}

// Workload is one benchmark.
type Workload struct {
	Name    string
	Summary string
	Unit    string // unit of Result.Value: "GFLOPS", "images/s", "seconds"
	// HigherIsBetter is true for throughputs, false for times; it orients
	// the default ratio.
	HigherIsBetter bool
	// Devices our side supports; empty means {"cpu"}. --device auto
	// resolves to the first.
	Devices []string
	// Ours runs our side, in the child process.
	Ours func(ctx context.Context, o Options) (Result, error)
	// Peers lists the peers; the first is the default for --against.
	Peers []Peer
	// Validate, if set, checks the options before anything runs; return
	// errors wrapping ErrUsage for bad values.
	Validate func(o Options) error
	// Rounds is the default for Runner.Rounds when that is 0 (0: 1). Short
	// workloads use several, which steadies the comparison on a busy
	// machine.
	Rounds int
	// Merge, if set, combines the results of two rounds of one side (see
	// Runner.Rounds) into the better one; the default keeps the result
	// with the better Value.
	Merge func(a, b Result) Result
	// Compare, if set, compares the two results (peer is nil with
	// --against none, and Ratio is then ignored); otherwise the default
	// compares Values.
	Compare func(ours Result, peer *Result) Comparison
}

// None is the --against value that runs only our side.
const None = "none"

// ErrUsage marks errors caused by bad arguments (unknown workload, peer or
// device); the command line turns them into exit code 2.
var ErrUsage = errors.New("bad usage")

var (
	mu        sync.RWMutex
	workloads = map[string]Workload{}
)

// Register adds a workload. It panics on a duplicate or incomplete
// registration, which is a programming error found at start-up.
func Register(w Workload) {
	if w.Name == "" || w.Unit == "" || w.Ours == nil {
		panic("bench: Register needs Name, Unit and Ours")
	}
	seen := map[string]bool{None: true}
	for _, p := range w.Peers {
		if p.Name == "" || p.Script == "" || seen[p.Name] {
			panic(fmt.Sprintf("bench: workload %s: peer %q needs a unique name (not %q) and a Script", w.Name, p.Name, None))
		}
		seen[p.Name] = true
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := workloads[w.Name]; dup {
		panic("bench: workload " + w.Name + " registered twice")
	}
	workloads[w.Name] = w
}

// Names lists the registered workloads, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(workloads))
	for n := range workloads {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the named workload, or an ErrUsage error listing the known
// ones.
func Get(name string) (Workload, error) {
	mu.RLock()
	w, ok := workloads[name]
	mu.RUnlock()
	if !ok {
		return Workload{}, fmt.Errorf("%w: unknown workload %q; use one of %s", ErrUsage, name, strings.Join(Names(), ", "))
	}
	return w, nil
}

// Peer returns the named peer of w ("" means the default, the first), or
// ok=false for None. Unknown names give an ErrUsage error.
func (w Workload) Peer(name string) (p Peer, ok bool, err error) {
	if name == None || (name == "" && len(w.Peers) == 0) {
		return Peer{}, false, nil
	}
	if name == "" {
		return w.Peers[0], true, nil
	}
	names := []string{None}
	for _, p := range w.Peers {
		if p.Name == name {
			return p, true, nil
		}
		names = append(names, p.Name)
	}
	return Peer{}, false, fmt.Errorf("%w: workload %s has no peer %q; use --against %s", ErrUsage, w.Name, name, strings.Join(names, ", "))
}

// Device resolves --device for w: "auto" (or "") becomes the first
// supported device; an unsupported one is an ErrUsage error.
func (w Workload) Device(requested string) (string, error) {
	devs := w.Devices
	if len(devs) == 0 {
		devs = []string{"cpu"}
	}
	if requested == "" || requested == "auto" {
		return devs[0], nil
	}
	for _, d := range devs {
		if d == requested {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: workload %s runs on %s, not %q; use --device %s", ErrUsage, w.Name, strings.Join(devs, " or "), requested, devs[0])
}

// merge applies w.Merge or keeps the better Value; MaxRSS is the larger.
func (w Workload) merge(a, b Result) Result {
	var m Result
	switch {
	case w.Merge != nil:
		m = w.Merge(a, b)
	case (w.HigherIsBetter && b.Value > a.Value) || (!w.HigherIsBetter && b.Value < a.Value):
		m = b
	default:
		m = a
	}
	m.MaxRSS = max(a.MaxRSS, b.MaxRSS)
	return m
}

// compare applies w.Compare or the default comparison of Values.
func (w Workload) compare(ours Result, peer *Result) Comparison {
	if w.Compare != nil {
		c := w.Compare(ours, peer)
		if peer == nil {
			c.Peer, c.Ratio = math.NaN(), math.NaN()
		}
		return c
	}
	c := Comparison{Ours: ours.Value, Peer: math.NaN(), Ratio: math.NaN()}
	if peer == nil {
		return c
	}
	c.Peer = peer.Value
	switch {
	case w.HigherIsBetter && peer.Value > 0:
		c.Ratio = ours.Value / peer.Value
	case !w.HigherIsBetter && ours.Value > 0:
		c.Ratio = peer.Value / ours.Value
	}
	return c
}
