package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/bench"
	"github.com/workbench-cv/workbench/engine/blas"
)

func init() {
	register(Command{
		Name:    "bench",
		Summary: "run a benchmark workload: ours and a reference (PyTorch, NumPy, scikit-learn) side by side",
		Usage: `workbench bench --workload NAME [--against PEER] [flags]

Runs our implementation of a workload and then the peer's, in one command,
with the same thread count (--threads) and with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from both sides' environment. Our side runs in a
child process of this program so that OpenBLAS starts with that
environment. Peers run under /usr/bin/python3 (or $WORKBENCH_PYTHON) and
need Debian's python3-torch, python3-numpy or python3-sklearn. The peer
also gets GLIBC_TUNABLES telling glibc's allocator to keep freed memory
(unless GLIBC_TUNABLES is set already), as PyTorch's performance guide
advises: with the default, PyTorch maps and faults in its large tensors
at every call, and on a virtual machine that can be most of its time.

The result is the "ratio": our throughput over the peer's (or the peer's
time over ours); above 1 means we are faster. For gemm it is the smallest
of the ratios at 1024 and 2048, and "sizes" lists every size.

Examples:
  workbench bench --workload gemm --against pytorch --threads 2
  workbench bench --workload gemm --impl go --sizes 512,1024 --json`,
		Flags: func(fs *flag.FlagSet) {
			fs.String("workload", "", "workload to run: "+strings.Join(bench.Names(), ", "))
			fs.String("against", "", "peer to compare with, or none (default: the workload's usual peer)")
			fs.String("impl", "native", "gemm: our SGEMM, native (the build's BLAS: "+blas.Impl()+") or go (pure Go)")
			fs.String("sizes", "", "gemm: comma-separated square sizes (default 256,1024,2048)")
			fs.Float64("epochs", 0, "cifar-speedrun: epochs of training (default 1; airbench's full recipe is 9.9)")
			fs.String("act", "", "cifar-speedrun: the activation, relu (default; faster here) or gelu (airbench's)")
			fs.Int("limit-train", 0, "ref-cnn, cifar-speedrun: train on a class-balanced subset of this many images (0: the whole split)")
			fs.Int("limit-test", 0, "ref-cnn, cifar-speedrun: evaluate on a subset of this many test images (0: all)")
			fs.Bool("profile", false, "resnet50, cifar-speedrun: also print the time per layer type on each side (ours by convolution path; PyTorch's profiler)")
			fs.Float64("min-time", 1, "seconds of timed calls per measurement, on each side")
			fs.Int("rounds", 0, "run each side this many times, alternating, and keep each side's best (default: the workload's, 4 for gemm)")
		},
		Run: runBench,
	})
}

func runBench(c *Ctx) error {
	if bench.IsChild() {
		// Started by the Runner below, with the cleaned environment: run
		// our side only and write the result where the parent asked.
		return bench.RunChild(c.Context, c.Stderr)
	}
	if len(c.Args) > 0 {
		return usageErrorf("bench takes no positional arguments (got %q); name the workload with --workload", c.Args[0])
	}
	name := flagString(c, "workload")
	if name == "" {
		return usageErrorf("--workload is required; use one of %s", strings.Join(bench.Names(), ", "))
	}
	w, err := bench.Get(name)
	if err != nil {
		return benchError(err)
	}
	opts := bench.Options{Threads: c.Threads, Seed: c.Seed, Device: c.Device}
	for _, name := range []string{"limit-train", "limit-test", "epochs", "act"} {
		if v := flagString(c, name); v != "" && v != "0" {
			if opts.Params == nil {
				opts.Params = map[string]string{}
			}
			opts.Params[name] = v
		}
	}
	if flagString(c, "profile") == "true" {
		if opts.Params == nil {
			opts.Params = map[string]string{}
		}
		opts.Params["profile"] = "1"
	}
	if impl := flagString(c, "impl"); impl != "native" {
		opts.Impl = impl
	}
	if s := flagString(c, "sizes"); s != "" {
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return usageErrorf("--sizes %q: %q is not a whole number; give sizes like 256,1024", s, f)
			}
			opts.Sizes = append(opts.Sizes, n)
		}
	}
	if v, _ := strconv.ParseFloat(flagString(c, "min-time"), 64); v <= 0 || v > 600 {
		return usageErrorf("--min-time must be between 0 and 600 seconds, got %s", flagString(c, "min-time"))
	} else {
		opts.MinTime = v
	}
	rounds, _ := strconv.Atoi(flagString(c, "rounds"))
	if rounds < 0 || rounds > 100 {
		return usageErrorf("--rounds must be between 1 and 100, got %s", flagString(c, "rounds"))
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find this program to run the benchmark in a child process: %v", err)
	}
	r := bench.Runner{
		Self:   []string{exe, "bench", "--workload", w.Name},
		Rounds: rounds,
		OnStart: func(side string) {
			c.Logf("%s: running %s on %d threads", w.Name, side, c.Threads)
		},
		OnResult: func(side string, res bench.Result) {
			if c.JSON {
				c.Emit("result", map[string]any{"side": side, "value": res.Value, "unit": w.Unit,
					"seconds": res.Seconds, "rss": res.MaxRSS})
				return
			}
			c.Logf("%s: %s %.4g %s (%.1f s, peak memory %d MiB)", w.Name, side, res.Value, w.Unit, res.Seconds, res.MaxRSS>>20)
		},
	}
	if !c.JSON {
		r.Log = c.Stderr
	}
	rep, err := r.Run(c.Context, w, flagString(c, "against"), opts)
	if err != nil {
		return benchError(err)
	}
	if rep.Busy() {
		c.Logf("note: other work kept this machine busy (load average %.1f on %d CPUs), so these timings are unreliable; rerun on an idle machine or with more --rounds", rep.Load, runtime.NumCPU())
	}
	c.Done(rep.DoneFields())
	return nil
}

// benchError turns the harness's bad-usage errors into exit code 2.
func benchError(err error) error {
	if errors.Is(err, bench.ErrUsage) {
		return usageErrorf("%s", strings.TrimPrefix(err.Error(), bench.ErrUsage.Error()+": "))
	}
	return err
}

func flagString(c *Ctx, name string) string {
	if f := c.Flags.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}
