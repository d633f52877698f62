"""resnet50 peer: ResNet-50 forward (eval, no_grad) and forward+backward
(training mode, cross-entropy, backward to the parameters) in PyTorch on
the network and weights our side exported (see engine/bench/resnet50.go).
Reports images/s per case and batch, the largest difference between its
logits of the first image and ours, and with "profile" the time per layer
type from torch.profiler."""

import importlib
import json
import os
import sys
import time

import benchlib
import numpy as np
import torch
import torch.nn.functional as F

opts = benchlib.options()
torch.set_num_threads(opts["threads"])
d = opts["dir"]
with open(os.path.join(d, "resnet50-spec.json")) as f:
    spec = json.load(f)
sys.path.insert(0, d)
model_py = importlib.import_module("model")
net = model_py.Net()
model_py.load_weights(net, os.path.join(d, "weights.npz"))
n0 = spec["size"]
min_time = opts.get("min_time") or 1.0


def images(n):
    """Seeded images in [0, 1) (the timing does not depend on the values;
    the first image of the parity check is ours, read from input.f32)."""
    g = torch.Generator().manual_seed(opts["seed"])
    return torch.rand(n, 3, n0, n0, generator=g)


def time_calls(f):
    f()
    times = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    while len(times) < spec["calls"] or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / len(times)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return times[0], med, cpu, n


# Parity: the logits of our first image, eval mode.
first = torch.from_numpy(np.fromfile(os.path.join(d, "input.f32"), dtype="<f4").reshape(1, 3, n0, n0).copy())
ours = np.fromfile(os.path.join(d, "logits.f32"), dtype="<f4")
net.eval()
with torch.no_grad():
    theirs = net(first).numpy().reshape(-1)
max_abs_diff = float(np.max(np.abs(theirs - ours)))
max_abs_logit = float(np.max(np.abs(theirs)))
benchlib.log("resnet50: pytorch logits differ from ours by at most %.3g (largest logit %.3g)" % (max_abs_diff, max_abs_logit))

FWD = {"aten::conv2d": "conv", "aten::batch_norm": "bn", "aten::relu": "relu", "aten::relu_": "relu",
       "aten::max_pool2d": "pool", "aten::adaptive_avg_pool2d": "pool", "aten::avg_pool2d": "pool", "aten::mean": "pool",
       "aten::add": "add", "aten::add_": "add", "aten::linear": "linear"}
BWD = [("Convolution", "conv"), ("BatchNorm", "bn"), ("Relu", "relu"), ("Threshold", "relu"), ("Pool", "pool"),
       ("Mean", "pool"), ("AddBackward", "add"), ("Addmm", "linear"), ("TBackward", "linear"), ("AccumulateGrad", "accumulate grad")]


def profile(f):
    """Time per layer type of one call of f: the inclusive CPU time of the
    top-level aten op of each layer (forward) and of each autograd node
    (backward)."""
    from torch.profiler import ProfilerActivity, profile as prof
    with prof(activities=[ProfilerActivity.CPU]) as p:
        f()
    return benchlib.profile_rows(p, FWD, BWD)


rows, fields = [], {}
for n in spec["batches"]:
    x = images(n)
    labels = torch.tensor([i * 37 % 1000 for i in range(n)], dtype=torch.int64)

    def fwd():
        net.eval()
        with torch.no_grad():
            net(x)

    def step():
        net.train()
        net.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), labels).backward()

    for name, f in (("fwd", fwd), ("fwdbwd", step)):
        best, med, cpu, calls = time_calls(f)
        rows.append({"case": name, "batch": n, "ips": n / best, "median_ips": n / med, "calls": calls,
                     "cpu_ips": opts["threads"] * n / cpu if cpu > 0 else 0})
        benchlib.log("resnet50: pytorch %s batch %d: %.2f images/s (%.3f s per call)" % (name, n, n / best, best))
    if spec["profile"] and n == spec["batches"][-1]:
        for name, f in (("fwd", fwd), ("fwdbwd", step)):
            table, text = profile(f)
            fields["profile_" + name] = table
            benchlib.log("resnet50: pytorch, time per layer type at batch %d, %s:\n%s" % (n, name, text))

benchlib.report(rows[-1]["ips"], rows=rows, max_abs_diff=max_abs_diff, max_abs_logit=max_abs_logit,
                threads=opts["threads"], torch=torch.__version__, **fields)
