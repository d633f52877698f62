#!/usr/bin/env python3
"""cuBLAS FP32 SGEMM throughput through PyTorch, the peer of the GL backend's
BenchmarkSgemm: C = A @ B for square float32 matrices, TF32 off, timed with
CUDA events after a warm-up. Prints one line per size:

    cublas_fp32 N GFLOPS

Usage: gpu_bench_cublas.py [N ...]   (default 1024 2048 4096)
Exits 3 when torch or a CUDA device is missing.
"""
import sys

try:
    import torch
except ImportError:
    print("gpu_bench_cublas: PyTorch is not installed (pip install torch, or Debian's python3-torch)", file=sys.stderr)
    sys.exit(3)

if not torch.cuda.is_available():
    print("gpu_bench_cublas: no CUDA device visible to PyTorch", file=sys.stderr)
    sys.exit(3)

# Plain FP32 arithmetic, as the GL kernels do: no TF32 tensor-core shortcut.
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")

sizes = [int(a) for a in sys.argv[1:]] or [1024, 2048, 4096]
dev = torch.device("cuda")
print(f"# device: {torch.cuda.get_device_name(dev)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
for n in sizes:
    g = torch.Generator(device=dev).manual_seed(1)
    a = torch.rand(n, n, device=dev, generator=g) - 0.5
    b = torch.rand(n, n, device=dev, generator=g) - 0.5
    c = torch.empty(n, n, device=dev)
    for _ in range(3):
        torch.mm(a, b, out=c)
    torch.cuda.synchronize()
    reps = max(3, min(200, int(2e12 / (2 * n**3))))
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        torch.mm(a, b, out=c)
    stop.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(stop) / 1e3
    print(f"cublas_fp32 {n} {2 * n**3 * reps / seconds / 1e9:.1f}")
