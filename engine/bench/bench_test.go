package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestMain lets the test binary serve as the child process of the Runner
// tests, the way the workbench binary does for `workbench bench`.
func TestMain(m *testing.M) {
	if IsChild() {
		if err := RunChild(context.Background(), os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var envVars = []string{"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOMAXPROCS", "KEEP_ME", "GLIBC_TUNABLES"}

// envPeer reports the same variables from Python.
var envPeer = Peer{Name: "envpy", Script: "envpy.py", Source: []byte(`
import os, benchlib
opts = benchlib.options()
names = ` + pyList(envVars) + `
shared = open(os.path.join(opts["dir"], "from-ours")).read()
benchlib.report(opts["threads"], shared=shared, **{n: os.environ.get(n, "<unset>") for n in names})
`)}

func pyList(names []string) string {
	b, _ := json.Marshal(names)
	return string(b)
}

func init() {
	Register(Workload{
		Name: "test-env", Unit: "threads", HigherIsBetter: true,
		Ours: func(ctx context.Context, o Options) (Result, error) {
			f := map[string]any{}
			for _, n := range envVars {
				v, ok := os.LookupEnv(n)
				if !ok {
					v = "<unset>"
				}
				f[n] = v
			}
			o.Logf("ours done")
			if err := os.WriteFile(filepath.Join(o.Dir, "from-ours"), []byte("hello"), 0o644); err != nil {
				return Result{}, err
			}
			return Result{Value: float64(o.Threads), Fields: f}, nil
		},
		Peers: []Peer{envPeer},
	})
	Register(Workload{
		Name: "test-fail", Unit: "s",
		Ours: func(ctx context.Context, o Options) (Result, error) {
			return Result{}, errors.New("the kettle is empty")
		},
	})
}

// needPython skips when /usr/bin/python3 (and the modules) are missing,
// except in CI, where a missing peer is a failure.
func needPython(t *testing.T, modules ...string) {
	t.Helper()
	err := CheckPython(context.Background(), DefaultPython, Peer{Modules: modules})
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the peer cannot run: %v", err)
	}
	t.Skipf("peer cannot run: %v", err)
}

func self(t *testing.T) []string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe}
}

func TestPeerEnv(t *testing.T) {
	got := PeerEnv([]string{"PATH=/bin"})
	if want := []string{"PATH=/bin", "GLIBC_TUNABLES=" + PeerMalloc}; !slices.Equal(got, want) {
		t.Errorf("PeerEnv = %q, want %q", got, want)
	}
	own := []string{"GLIBC_TUNABLES=glibc.malloc.arena_max=1", "PATH=/bin"}
	if got := PeerEnv(own); !slices.Equal(got, own) {
		t.Errorf("PeerEnv = %q, want the user's own setting kept: %q", got, own)
	}
}

func TestBenchEnv(t *testing.T) {
	got := BenchEnv([]string{"PATH=/bin", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=262144",
		"OMP_NUM_THREADS=8", ChildEnv + "={}", "A=b=c"}, 2)
	want := []string{"PATH=/bin", "A=b=c", "OMP_NUM_THREADS=2", "OPENBLAS_NUM_THREADS=2", "MKL_NUM_THREADS=2", "GOMAXPROCS=2"}
	if !slices.Equal(got, want) {
		t.Fatalf("BenchEnv = %q, want %q", got, want)
	}
}

// TestRunnerCleansEnvironmentForBothSides is the point of the child
// process: OpenBLAS's slowing variables are gone and the thread count is
// set on both sides, while this process keeps its environment.
func TestRunnerCleansEnvironmentForBothSides(t *testing.T) {
	needPython(t)
	t.Setenv("OPENBLAS_CORETYPE", "Haswell")
	t.Setenv("OPENBLAS_L2_SIZE", "262144")
	t.Setenv("OMP_NUM_THREADS", "7")
	t.Setenv("KEEP_ME", "yes")
	t.Setenv("GLIBC_TUNABLES", "")
	os.Unsetenv("GLIBC_TUNABLES") // restored by Setenv's cleanup
	w, err := Get("test-env")
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	var sides []string
	r := Runner{Self: self(t), Log: &log, Rounds: 2,
		OnStart:  func(side string) { sides = append(sides, "start "+side) },
		OnResult: func(side string, _ Result) { sides = append(sides, side) }}
	rep, err := r.Run(context.Background(), w, "", Options{Threads: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"OPENBLAS_CORETYPE": "<unset>", "OPENBLAS_L2_SIZE": "<unset>", "OMP_NUM_THREADS": "3",
		"OPENBLAS_NUM_THREADS": "3", "GOMAXPROCS": "3", "KEEP_ME": "yes"}
	for side, res := range map[string]Result{"ours": rep.Ours, "peer": *rep.PeerRes} {
		// Only the peer gets the allocator setting (PeerEnv).
		want["GLIBC_TUNABLES"] = map[string]any{"ours": "<unset>", "peer": PeerMalloc}[side]
		for k, v := range want {
			if res.Fields[k] != v {
				t.Errorf("%s side: %s=%v, want %v", side, k, res.Fields[k], v)
			}
		}
		if res.MaxRSS <= 0 || res.Seconds <= 0 {
			t.Errorf("%s side: MaxRSS=%d Seconds=%g, want both measured", side, res.MaxRSS, res.Seconds)
		}
	}
	if rep.PeerRes.Fields["shared"] != "hello" {
		t.Errorf("the peer read %v from the shared folder, want what our side wrote", rep.PeerRes.Fields["shared"])
	}
	if _, err := os.Stat(rep.Options.Dir); !os.IsNotExist(err) {
		t.Errorf("shared folder %s left behind (%v)", rep.Options.Dir, err)
	}
	if os.Getenv("OPENBLAS_CORETYPE") != "Haswell" {
		t.Error("the parent's own environment was changed")
	}
	if want := []string{"start ours", "ours", "start envpy", "envpy", "start ours", "ours", "start envpy", "envpy"}; !slices.Equal(sides, want) {
		t.Errorf("OnStart/OnResult calls %v, want %v", sides, want)
	}
	if !strings.Contains(log.String(), "ours done") {
		t.Errorf("child's progress line not forwarded; log: %q", log.String())
	}
	if rep.Compared.Ratio != 1 {
		t.Errorf("ratio %g, want 1 (both report 3 threads)", rep.Compared.Ratio)
	}
	f := rep.DoneFields()
	if f["rounds"] != 2 || f["cpus"] != runtime.NumCPU() {
		t.Errorf("done rounds %v cpus %v, want 2 and %d", f["rounds"], f["cpus"], runtime.NumCPU())
	}
	if l, ok := f["load"].(float64); !ok || (runtime.GOOS == "linux" && !(l >= 0)) {
		t.Errorf("done load %v, want the load average", f["load"])
	}
	idle := Report{Load: 0, Options: Options{Threads: 1}}
	busy := Report{Load: float64(runtime.NumCPU()) + 2, Options: Options{Threads: 1}}
	if idle.Busy() || !busy.Busy() {
		t.Errorf("Busy: idle %v, loaded %v; want false, true", idle.Busy(), busy.Busy())
	}
	for _, k := range []string{"workload", "ours", "peer", "ratio", "unit"} {
		if _, ok := f[k]; !ok {
			t.Errorf("done fields lack %q: %v", k, f)
		}
	}
}

func TestRunnerReportsOurFailure(t *testing.T) {
	w, _ := Get("test-fail")
	_, err := Runner{Self: self(t)}.Run(context.Background(), w, None, Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "the kettle is empty") {
		t.Fatalf("error %v, want the child's message", err)
	}
}

func TestMissingPeerSaysWhatToInstall(t *testing.T) {
	_, err := Runner{Self: self(t), Python: "/nonexistent/python3"}.Run(context.Background(),
		mustGet(t, "gemm"), "pytorch", Options{Threads: 1})
	var miss *MissingError
	if !errors.As(err, &miss) || !strings.Contains(err.Error(), "apt-get install python3") {
		t.Fatalf("error %v, want a MissingError naming python3", err)
	}
	needPython(t)
	err = CheckPython(context.Background(), DefaultPython, Peer{Modules: []string{"json", "workbench_no_such_module"}})
	if !errors.As(err, &miss) || miss.Module != "workbench_no_such_module" || !strings.Contains(err.Error(), "apt-get install python3-workbench_no_such_module") {
		t.Fatalf("error %v, want a MissingError naming the module's package", err)
	}
	if got := (&MissingError{Python: "p", Module: "torch", Package: debianPackages["torch"]}).Error(); !strings.Contains(got, "apt-get install python3-torch") {
		t.Fatalf("torch message %q does not name python3-torch", got)
	}
}

func mustGet(t *testing.T, name string) Workload {
	t.Helper()
	w, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestBadUsageIsErrUsage(t *testing.T) {
	gemm := mustGet(t, "gemm")
	_, err1 := Get("no-such-workload")
	_, _, err2 := gemm.Peer("tensorflow")
	_, err3 := gemm.Device("tpu")
	err4 := validateGemm(Options{Impl: "fast"})
	err5 := validateGemm(Options{Sizes: []int{0}})
	_, err6 := Runner{Self: self(t)}.Run(context.Background(), gemm, None, Options{Threads: 1, Impl: "fast"})
	for i, err := range []error{err1, err2, err3, err4, err5, err6} {
		if !errors.Is(err, ErrUsage) {
			t.Errorf("case %d: error %v, want ErrUsage", i+1, err)
		}
	}
	if !strings.Contains(err1.Error(), "gemm") {
		t.Errorf("unknown workload message %q does not list gemm", err1)
	}
	if d, err := gemm.Device("auto"); d != "cpu" || err != nil {
		t.Errorf("auto device = %q, %v; want cpu", d, err)
	}
	if p, ok, err := gemm.Peer(""); !ok || err != nil || p.Name != "pytorch" {
		t.Errorf("default peer = %q, %v, %v; want pytorch", p.Name, ok, err)
	}
}

func TestGemmOursInProcess(t *testing.T) {
	for _, impl := range []string{"", "go"} {
		res, err := runGemm(context.Background(), Options{Threads: 2, Seed: 3, Impl: impl, Sizes: []int{33, 64}, MinTime: 0.05, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		rows := gemmRows(&res)
		if len(rows) != 2 || rows[0].N != 33 || rows[1].N != 64 {
			t.Fatalf("impl %q: rows %+v, want sizes 33 and 64", impl, rows)
		}
		for _, r := range rows {
			if !(r.GFLOPS > 0) || r.MedianGFLOPS > r.GFLOPS || r.Calls < minCalls {
				t.Errorf("impl %q: implausible row %+v", impl, r)
			}
			if runtime.GOOS == "linux" && (r.CPUGFLOPS == nil || !(*r.CPUGFLOPS > 0)) {
				t.Errorf("impl %q: no processor-time figure in %+v", impl, r)
			}
		}
		if res.Value != rows[1].GFLOPS {
			t.Errorf("value %g, want the largest size's %g", res.Value, rows[1].GFLOPS)
		}
	}
}

func TestCheckProductCatchesWrongResults(t *testing.T) {
	const n = 20
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = 1, 1
		c[i] = n
	}
	rng := rand.New(rand.NewPCG(1, 1))
	if err := checkProduct(rng, n, a, b, c); err != nil {
		t.Fatalf("correct product rejected: %v", err)
	}
	c = slices.Repeat([]float32{n + 0.5}, n*n)
	if err := checkProduct(rng, n, a, b, c); err == nil {
		t.Fatal("wrong product accepted")
	}
}

func TestCompareGemmUsesSmallestRatioAt1024And2048(t *testing.T) {
	ours := Result{Value: 90, Fields: map[string]any{"impl": "go", "sizes": []any{
		map[string]any{"n": 256, "gflops": 10.0, "median_gflops": 9.0},
		map[string]any{"n": 1024, "gflops": 100.0, "median_gflops": 95.0, "cpu_gflops": 120.0},
		map[string]any{"n": 2048, "gflops": 90.0, "median_gflops": 85.0},
	}}}
	peer := Result{Value: 100, Fields: map[string]any{"torch": "1.13", "sizes": []any{
		map[string]any{"n": 256, "gflops": 100.0},
		map[string]any{"n": 1024, "gflops": 80.0, "cpu_gflops": 100.0},
		map[string]any{"n": 2048, "gflops": 100.0},
	}}}
	c := compareGemm(ours, &peer)
	if c.Ratio != 0.9 || c.Ours != 90 || c.Peer != 100 {
		t.Fatalf("ratio %g ours %g peer %g; want 0.9 at 2048 (256's 0.1 does not count)", c.Ratio, c.Ours, c.Peer)
	}
	if rows := c.Fields["sizes"].([]map[string]any); len(rows) != 3 || rows[1]["ratio"] != 1.25 || rows[1]["cpu_ratio"] != 1.2 || rows[0]["cpu_ratio"] != nil {
		t.Fatalf("sizes table %v", c.Fields["sizes"])
	}
	if c.Fields["cpu_ratio"] != 1.2 {
		t.Errorf("cpu_ratio %v, want 1.2 (the only size with processor-time figures)", c.Fields["cpu_ratio"])
	}
	if c.Fields["peer_version"] != "torch 1.13" {
		t.Errorf("peer_version %v", c.Fields["peer_version"])
	}
	// Without a peer: ours is the largest counted size.
	if c := compareGemm(ours, nil); c.Ours != 90 || !math.IsNaN(c.Ratio) {
		t.Errorf("no peer: ours %g ratio %g", c.Ours, c.Ratio)
	}
	// Custom sizes without 1024/2048 all count.
	small := Result{Fields: map[string]any{"sizes": []any{map[string]any{"n": 64, "gflops": 5.0}}}}
	if c := compareGemm(small, &Result{Fields: map[string]any{"sizes": []any{map[string]any{"n": 64, "gflops": 10.0}}}}); c.Ratio != 0.5 {
		t.Errorf("custom sizes: ratio %g, want 0.5", c.Ratio)
	}
}

func TestMergeGemmKeepsTheBestOfEachSize(t *testing.T) {
	row := func(n int, g float64) map[string]any { return map[string]any{"n": n, "gflops": g} }
	a := Result{Value: 50, MaxRSS: 10, Fields: map[string]any{"impl": "go", "sizes": []any{row(256, 10), row(1024, 50)}}}
	b := Result{Value: 40, MaxRSS: 20, Fields: map[string]any{"impl": "go", "sizes": []any{row(256, 12), row(1024, 40)}}}
	w := mustGet(t, "gemm")
	m := w.merge(a, b)
	rows := gemmRows(&m)
	if len(rows) != 2 || rows[0].GFLOPS != 12 || rows[1].GFLOPS != 50 || m.Value != 50 || m.MaxRSS != 20 {
		t.Fatalf("merged %+v (value %g, rss %d); want 12 and 50 GFLOPS, value 50, rss 20", rows, m.Value, m.MaxRSS)
	}
	if gemmRows(&a)[0].GFLOPS != 10 {
		t.Error("merge changed its input")
	}
	// The default merge keeps the better Value in the workload's direction.
	slow := Workload{Name: "t", HigherIsBetter: false}
	if got := slow.merge(Result{Value: 3}, Result{Value: 2}); got.Value != 2 {
		t.Errorf("default merge for times kept %g, want 2", got.Value)
	}
}

// TestGemmAgainstPyTorch runs the real workload end to end at small sizes.
func TestGemmAgainstPyTorch(t *testing.T) {
	needPython(t, "torch")
	if _, err := exec.LookPath(DefaultPython); err != nil {
		t.Skip(err)
	}
	rep, err := Runner{Self: self(t), Rounds: 1}.Run(context.Background(), mustGet(t, "gemm"), "pytorch",
		Options{Threads: 1, Seed: 1, Sizes: []int{64, 128}, MinTime: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.DoneFields()
	if f["against"] != "pytorch" || f["unit"] != "GFLOPS" || f["device"] != "cpu" || f["rounds"] != 1 {
		t.Errorf("done fields %v", f)
	}
	if r, ok := f["ratio"].(float64); !ok || !(r > 0) {
		t.Errorf("ratio %v, want a positive number", f["ratio"])
	}
	rows, _ := f["sizes"].([]map[string]any)
	if len(rows) != 2 || rows[0]["peer"] == nil || rows[0]["peer_cpu"] == nil || rows[0]["cpu_ratio"] == nil {
		t.Errorf("sizes %v, want two rows with the peer's figures, processor-time ones included", f["sizes"])
	}
	if v, _ := f["peer_version"].(string); !strings.HasPrefix(v, "torch ") {
		t.Errorf("peer_version %q", v)
	}
}
