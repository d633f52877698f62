package bench

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

//go:embed peers/*.py
var peerFiles embed.FS

// ChildEnv is the environment variable that marks the child process
// running our side; its value is the job as JSON.
const ChildEnv = "WORKBENCH_BENCH_CHILD"

// PythonEnv overrides the Python interpreter used for peers.
const PythonEnv = "WORKBENCH_PYTHON"

// DefaultPython is Debian's interpreter, which sees python3-torch,
// python3-numpy and python3-sklearn (a python3 earlier on PATH may not).
const DefaultPython = "/usr/bin/python3"

// removedEnv are dropped from both sides' environment: they pin OpenBLAS
// to a slower code path for reproducible tests, which is not what a
// speed comparison should measure.
var removedEnv = []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}

// threadEnv are set to the thread count on both sides.
var threadEnv = []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GOMAXPROCS"}

// childJob is the value of ChildEnv.
type childJob struct {
	Workload string  `json:"workload"`
	Options  Options `json:"options"`
	Out      string  `json:"out"` // file for the Result
}

// Runner runs a workload on both sides.
type Runner struct {
	// Self is the command line that re-runs this program so that it calls
	// RunChild, e.g. {os.Executable(), "bench"}. Required.
	Self []string
	// Python is the peers' interpreter; empty means $WORKBENCH_PYTHON or
	// DefaultPython.
	Python string
	// Log receives both children's stderr (progress lines); nil discards
	// it. The last lines are kept for error messages either way.
	Log io.Writer
	// Rounds is how many times each side runs, alternating ours and the
	// peer, keeping each side's best (Workload.Merge); 0 means the
	// workload's default. More rounds make the comparison robust to other
	// load on the machine.
	Rounds int
	// OnStart and OnResult, if set, are called before and after each side
	// runs ("ours" or the peer's name).
	OnStart  func(side string)
	OnResult func(side string, r Result)
}

// Report is the outcome of Runner.Run.
type Report struct {
	Workload Workload
	Peer     string  // "" with --against none
	Device   string  // device our side ran on
	Options  Options // as run
	Ours     Result
	PeerRes  *Result    // nil with --against none
	Compared Comparison // Ratio NaN with --against none
	Rounds   int        // rounds run
	// Load is the highest one-minute load average seen at the start and
	// the end of the run (NaN where the OS does not say). Other work on
	// the machine makes timings unreliable; see Busy.
	Load float64
}

// Busy reports whether other work kept the machine busy during the run:
// a load average above half the CPUs, beyond what the run itself adds.
func (r *Report) Busy() bool {
	return r.Load > float64(runtime.NumCPU())/2+float64(r.Options.Threads)
}

// DoneFields returns the CLI's done fields: workload, ours, peer, ratio,
// unit, device, threads, the peak memory of both processes, and the
// workload's own comparison fields. Without a peer, peer and ratio are
// null.
func (r *Report) DoneFields() map[string]any {
	f := map[string]any{
		"workload": r.Workload.Name,
		"unit":     r.Workload.Unit,
		"device":   r.Device,
		"threads":  r.Options.Threads,
		"ours":     r.Compared.Ours,
		"peer":     nil,
		"ratio":    nil,
		"against":  None,
		"rss_ours": r.Ours.MaxRSS,
		"rounds":   r.Rounds,
		"load":     r.Load,
		"cpus":     runtime.NumCPU(),
	}
	if r.PeerRes != nil {
		f["peer"] = r.Compared.Peer
		f["ratio"] = r.Compared.Ratio
		f["against"] = r.Peer
		f["rss_peer"] = r.PeerRes.MaxRSS
	}
	for k, v := range r.Compared.Fields {
		f[k] = v
	}
	return f
}

// Run runs w's our side and then, unless peer is None, the peer ("" means
// the default peer), and compares them.
func (r Runner) Run(ctx context.Context, w Workload, peer string, o Options) (*Report, error) {
	p, hasPeer, err := w.Peer(peer)
	if err != nil {
		return nil, err
	}
	dev, err := w.Device(o.Device)
	if err != nil {
		return nil, err
	}
	o.Device = dev
	if o.Threads < 1 {
		return nil, fmt.Errorf("%w: threads must be at least 1, got %d", ErrUsage, o.Threads)
	}
	if w.Validate != nil {
		if err := w.Validate(o); err != nil {
			return nil, err
		}
	}
	if len(r.Self) == 0 {
		return nil, errors.New("bench: Runner.Self is empty")
	}
	python := r.python()
	if hasPeer {
		// Fail before the (possibly long) run of our side.
		if err := CheckPython(ctx, python, p); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "workbench-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	o.Dir = filepath.Join(dir, "shared")
	if err := os.Mkdir(o.Dir, 0o755); err != nil {
		return nil, err
	}

	rep := &Report{Workload: w, Device: dev, Options: o, Load: loadAverage()}
	rounds := r.Rounds
	if rounds == 0 {
		rounds = w.Rounds
	}
	var ours, theirs *Result
	for round := 0; round < max(1, rounds); round++ {
		if r.OnStart != nil {
			r.OnStart("ours")
		}
		res, err := r.runOurs(ctx, w, o, dir)
		if err != nil {
			return nil, err
		}
		if r.OnResult != nil {
			r.OnResult("ours", res)
		}
		if ours != nil {
			res = w.merge(*ours, res)
		}
		ours = &res
		if !hasPeer {
			continue
		}
		if r.OnStart != nil {
			r.OnStart(p.Name)
		}
		pr, err := r.runPeer(ctx, python, p, o, dir)
		if err != nil {
			return nil, err
		}
		if r.OnResult != nil {
			r.OnResult(p.Name, pr)
		}
		if theirs != nil {
			pr = w.merge(*theirs, pr)
		}
		theirs = &pr
	}
	rep.Ours, rep.PeerRes, rep.Rounds = *ours, theirs, max(1, rounds)
	if hasPeer {
		rep.Peer = p.Name
	}
	rep.Compared = w.compare(rep.Ours, rep.PeerRes)
	if l := loadAverage(); !(l <= rep.Load) {
		rep.Load = l
	}
	return rep, nil
}

// loadAverage returns the one-minute load average, or NaN where
// /proc/loadavg does not exist.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return math.NaN()
	}
	l, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return math.NaN()
	}
	return l
}

func (r Runner) python() string {
	if r.Python != "" {
		return r.Python
	}
	if p := os.Getenv(PythonEnv); p != "" {
		return p
	}
	return DefaultPython
}

// BenchEnv returns env (KEY=value entries) with OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE removed and the thread variables set to threads: the
// environment both sides run in.
func BenchEnv(env []string, threads int) []string {
	drop := map[string]bool{ChildEnv: true}
	for _, k := range append(append([]string{}, removedEnv...), threadEnv...) {
		drop[k] = true
	}
	out := make([]string, 0, len(env)+len(threadEnv))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	for _, k := range threadEnv {
		out = append(out, k+"="+strconv.Itoa(threads))
	}
	return out
}

// PeerMalloc is the glibc allocator setting the peer runs with unless
// GLIBC_TUNABLES is already set: freed blocks stay in the process's heap
// instead of going back to the kernel. glibc serves blocks over 32 MiB
// (a ResNet-50 activation at batch 16, a speedrun batch) with mmap and
// returns them with munmap, so each call faults its activations in again,
// page by page. In a virtual machine where a page fault is slow that
// dominates: PyTorch's ResNet-50 forward at batch 16 took 2.2 s per call
// instead of 0.45 s on a 2-core Zen 5 guest. PyTorch's performance guide
// recommends jemalloc or tcmalloc for this reason; this is the same
// effect with the allocator every Debian machine has. Our side reuses its
// buffers (engine/backend/cpu's pool) and needs nothing of the kind.
const PeerMalloc = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296"

// PeerEnv adds GLIBC_TUNABLES=PeerMalloc to env unless it sets
// GLIBC_TUNABLES already.
func PeerEnv(env []string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "GLIBC_TUNABLES=") {
			return env
		}
	}
	return append(env, "GLIBC_TUNABLES="+PeerMalloc)
}

func (r Runner) runOurs(ctx context.Context, w Workload, o Options, dir string) (Result, error) {
	out := filepath.Join(dir, "ours.json")
	job, err := json.Marshal(childJob{Workload: w.Name, Options: o, Out: out})
	if err != nil {
		return Result{}, err
	}
	cmd := exec.CommandContext(ctx, r.Self[0], r.Self[1:]...)
	cmd.Env = append(BenchEnv(os.Environ(), o.Threads), ChildEnv+"="+string(job))
	res, err := r.runProcess(ctx, cmd, "our side ("+w.Name+")")
	if err != nil {
		return Result{}, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return Result{}, fmt.Errorf("our side (%s) wrote no result: %v", w.Name, err)
	}
	var ours Result
	if err := json.Unmarshal(data, &ours); err != nil {
		return Result{}, fmt.Errorf("our side (%s) wrote a malformed result: %v", w.Name, err)
	}
	ours.MaxRSS, ours.Seconds = res.MaxRSS, res.Seconds
	return ours, nil
}

func (r Runner) runPeer(ctx context.Context, python string, p Peer, o Options, dir string) (Result, error) {
	// Write every embedded script, so that peers can import benchlib.
	err := fs.WalkDir(peerFiles, "peers", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := peerFiles.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, d.Name()), data, 0o644)
	})
	if err != nil {
		return Result{}, err
	}
	script := filepath.Join(dir, filepath.Base(p.Script))
	if p.Source != nil {
		if err := os.WriteFile(script, p.Source, 0o644); err != nil {
			return Result{}, err
		}
	} else if _, err := os.Stat(script); err != nil {
		return Result{}, fmt.Errorf("bench: peer %s: script %s is not embedded in peers/", p.Name, p.Script)
	}
	opts, err := json.Marshal(o)
	if err != nil {
		return Result{}, err
	}
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, python, script, string(opts))
	cmd.Dir = dir
	cmd.Env = append(PeerEnv(BenchEnv(os.Environ(), o.Threads)), "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdout = &stdout
	res, err := r.runProcess(ctx, cmd, "peer "+p.Name)
	if err != nil {
		return Result{}, err
	}
	var pr Result
	line := lastLine(stdout.String())
	if err := json.Unmarshal([]byte(line), &pr); err != nil {
		return Result{}, fmt.Errorf("peer %s printed no JSON result on its last line (%q): %v", p.Name, line, err)
	}
	pr.MaxRSS, pr.Seconds = res.MaxRSS, res.Seconds
	return pr, nil
}

// runProcess runs cmd, forwarding its stderr to r.Log and keeping the
// tail for the error message. Result holds its peak RSS and wall time.
func (r Runner) runProcess(ctx context.Context, cmd *exec.Cmd, what string) (Result, error) {
	tail := &tailWriter{max: 4096}
	var errOut io.Writer = tail
	if r.Log != nil {
		errOut = io.MultiWriter(r.Log, tail)
	}
	cmd.Stderr = errOut
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := Result{Seconds: time.Since(start).Seconds()}
	if cmd.ProcessState != nil {
		res.MaxRSS = maxRSS(cmd.ProcessState)
	}
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		msg := lastLine(tail.String())
		if msg == "" {
			msg = err.Error()
		}
		return res, fmt.Errorf("%s failed: %s", what, msg)
	}
	return res, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string { return string(t.buf) }

// debianPackages maps Python modules to the Debian packages that provide
// them for /usr/bin/python3.
var debianPackages = map[string]string{
	"torch":   "python3-torch",
	"numpy":   "python3-numpy",
	"sklearn": "python3-sklearn",
	"scipy":   "python3-scipy",
}

// MissingError says that the peer cannot run because the interpreter or a
// module is missing; Package is the Debian package to install.
type MissingError struct {
	Python, Module, Package string
}

func (e *MissingError) Error() string {
	if e.Module == "" {
		return fmt.Sprintf("cannot run the Python peer: %s not found; install Debian's python3 (apt-get install python3) or set %s to a Python 3 with the peer's modules", e.Python, PythonEnv)
	}
	return fmt.Sprintf("cannot run the Python peer: %s cannot import %s; install it with: apt-get install %s", e.Python, e.Module, e.Package)
}

// CheckPython verifies that python exists and imports p's modules, and
// returns a *MissingError naming the package to install otherwise.
func CheckPython(ctx context.Context, python string, p Peer) error {
	if _, err := exec.LookPath(python); err != nil {
		return &MissingError{Python: python, Package: "python3"}
	}
	for _, m := range p.Modules {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, python, "-c", "import "+m)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !strings.Contains(stderr.String(), "ModuleNotFoundError") && !strings.Contains(stderr.String(), "ImportError") {
				return fmt.Errorf("cannot run the Python peer: %s -c 'import %s' failed: %s", python, m, lastLine(stderr.String()))
			}
			pkg := debianPackages[m]
			if pkg == "" {
				pkg = "python3-" + m
			}
			return &MissingError{Python: python, Module: m, Package: pkg}
		}
	}
	return nil
}

// IsChild reports whether this process was started by a Runner to run our
// side; the program must then call RunChild.
func IsChild() bool { return os.Getenv(ChildEnv) != "" }

// RunChild runs our side of the workload described by ChildEnv and writes
// its Result where the parent asked. Progress lines go to logw.
func RunChild(ctx context.Context, logw io.Writer) error {
	var job childJob
	if err := json.Unmarshal([]byte(os.Getenv(ChildEnv)), &job); err != nil {
		return fmt.Errorf("bench: malformed %s: %v", ChildEnv, err)
	}
	w, err := Get(job.Workload)
	if err != nil {
		return err
	}
	o := job.Options
	o.Logf = func(format string, args ...any) {
		fmt.Fprintf(logw, strings.TrimRight(format, "\n")+"\n", args...)
	}
	res, err := w.Ours(ctx, o)
	if err != nil {
		return err
	}
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("bench: workload %s returned a result JSON cannot hold: %v", w.Name, err)
	}
	return os.WriteFile(job.Out, data, 0o644)
}
