// Package bench runs Workbench's code and a reference implementation (the
// "peer": PyTorch, NumPy or scikit-learn under Debian's /usr/bin/python3)
// side by side on the same workload, and compares them. It is what
// `workbench bench --workload NAME --against PEER` calls.
//
// # Workloads
//
// A workload is registered once, usually from an init function in this
// package:
//
//	func init() {
//		bench.Register(bench.Workload{
//			Name: "knn", Unit: "seconds", Summary: "L2 distance matrix",
//			Ours:  runKNN,          // func(ctx, Options) (Result, error)
//			Peers: []bench.Peer{{Name: "numpy", Script: "knn_numpy.py", Modules: []string{"numpy"}}},
//		})
//	}
//
// Ours runs in a child process (see below) and returns a [Result]: the
// headline Value in the workload's Unit plus any extra Fields. The peer is
// a Python script embedded from peers/ that prints the same JSON on its
// last line of stdout; peers/benchlib.py gives scripts the options, the
// timing protocol and the output format. [Workload.Compare] turns both
// results into the ratio and extra done fields when the default (ratio of
// Values, oriented by HigherIsBetter) is not enough; the gemm workload
// uses it for its per-size figures.
//
// # Fair runs
//
// Both sides run as separate processes, one after the other (ours first;
// with Runner.Rounds > 1 they alternate and each side keeps its best),
// with the same environment: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
// removed (they slow OpenBLAS down and exist only for reproducible tests),
// and OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and
// GOMAXPROCS set to the thread count. The peer also runs with glibc's
// allocator told to keep freed memory ([PeerMalloc]), as PyTorch's
// performance guide advises (it names jemalloc or tcmalloc): otherwise
// every large tensor is mapped and unmapped per call and, on a virtual
// machine, PyTorch spends most of a ResNet-50 batch in page faults.
// Because OpenBLAS reads its
// environment when the process loads it, our side cannot run inside the
// process that was started with the original environment: the [Runner]
// re-executes the current program (Runner.Self) with the cleaned
// environment plus WORKBENCH_BENCH_CHILD, which holds the workload name
// and [Options] as JSON. That program must call [RunChild] when
// [IsChild] is true; RunChild runs Ours and writes the Result to the file
// the parent named. Options.Dir is a scratch folder both sides share for
// the run (removed afterwards). The harness measures each process's peak
// resident memory (Result.MaxRSS) and wall time (Result.Seconds) itself.
//
// Timing protocol, identical on both sides ([Options.Measure] and
// benchlib.measure): warm-up calls until at least 2 calls and 0.2 s, then
// timed calls until at least 5 calls and 1 s (Options.MinTime; at most
// 1000 calls); workloads report the best and the median, and Timing.CPU
// (benchlib: .cpu), the processor time per call, which other load on the
// machine does not inflate.
//
// The Python interpreter is /usr/bin/python3 (Debian's, which has torch,
// numpy and sklearn), or $WORKBENCH_PYTHON. Before anything runs, the
// harness checks that it exists and imports the peer's modules, and
// otherwise fails with an error naming the Debian package to install.
package bench
