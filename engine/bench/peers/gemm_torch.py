"""gemm peer: float32 torch.mm on square matrices (see engine/bench/gemm.go)."""

import benchlib
import torch

opts = benchlib.options()
torch.set_num_threads(opts["threads"])
torch.manual_seed(opts["seed"])
sizes = opts["sizes"] or [256, 1024, 2048]

rows = []
for n in sizes:
    a = torch.randn(n, n, dtype=torch.float32)
    b = torch.randn(n, n, dtype=torch.float32)
    c = torch.empty(n, n, dtype=torch.float32)
    t = benchlib.measure(lambda: torch.mm(a, b, out=c))
    best, med, calls = t
    flops = 2.0 * n * n * n
    rows.append({"n": n, "gflops": flops / best / 1e9, "median_gflops": flops / med / 1e9, "calls": calls,
                 "cpu_gflops": opts["threads"] * flops / t.cpu / 1e9 if t.cpu > 0 else None})
    benchlib.log("pytorch gemm %d: %.1f GFLOPS" % (n, rows[-1]["gflops"]))

benchlib.report(rows[-1]["gflops"], sizes=rows, torch=torch.__version__,
                threads=torch.get_num_threads())
