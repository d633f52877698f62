"""Plain-PyTorch reference for the attribution parity test (no Captum).

argv: folder holding model.py, weights.npz, x.npy (pixels in [0, 1]),
mean.npy, std.npy, classes.npy, and spec.json ({"relus": [...],
"layer": "...", "ig_steps": n, "ig_method": "..."}). Writes saliency.npy,
guided.npy, cam.npy, cam_up.npy, ig.npy and fgsm_grad.npy.
"""
import json
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
d = sys.argv[1]
spec = json.load(open(d + "/spec.json"))

# Every assignment of forward() goes through _hook(node id, value).
lines, out, in_fwd = open(d + "/model.py").read().split("\n"), [], False
pat = re.compile(r"^        (\w+) = (.*?)(?:  # (\S+).*)?$")
for line in lines:
    out.append(line)
    if line.startswith("    def forward"):
        in_fwd = True
        continue
    if in_fwd and line.startswith("        return"):
        in_fwd = False
    m = pat.match(line) if in_fwd else None
    if m:
        out.append("        %s = _hook(%r, %s)" % (m.group(1), m.group(3) or m.group(1), m.group(1)))
src = "\n".join(out)

state = {"guided": False, "retain": None, "acts": {}}
relus = set(spec["relus"])


def _hook(node, t):
    if state["guided"] and node in relus and t.requires_grad:
        t.register_hook(lambda g: g.clamp(min=0))
    if node == state["retain"]:
        t.retain_grad()
        state["acts"][node] = t
    return t


ns = {"_hook": _hook, "__name__": "model_ref"}
exec(compile(src, "model.py", "exec"), ns)
net = ns["Net"]()
ns["load_weights"](net, d + "/weights.npz")
net.eval()
net.double()

x0 = torch.from_numpy(np.load(d + "/x.npy")).double()
mean = torch.from_numpy(np.load(d + "/mean.npy")).double().view(1, -1, 1, 1)
std = torch.from_numpy(np.load(d + "/std.npy")).double().view(1, -1, 1, 1)
classes = torch.from_numpy(np.load(d + "/classes.npy")).long()
N = x0.shape[0]


def grad_of(x, score):
    x = x.clone().requires_grad_(True)
    y = net((x - mean) / std)
    score(y).backward()
    return x.grad


def class_score(y):
    return y[torch.arange(N), classes].sum()


g = grad_of(x0, class_score)
np.save(d + "/saliency.npy", g.abs().amax(1).numpy())

state["guided"] = True
np.save(d + "/guided.npy", grad_of(x0, class_score).numpy())
state["guided"] = False

layer = spec["layer"]
state["retain"] = layer
grad_of(x0, class_score)
a = state["acts"][layer]
w = a.grad.mean(dim=(2, 3), keepdim=True)
cam = F.relu((w * a).sum(1)).detach()
np.save(d + "/cam.npy", cam.numpy())
up = F.interpolate(cam[:, None], size=x0.shape[2:], mode="bilinear", align_corners=False)[:, 0]
np.save(d + "/cam_up.npy", up.numpy())
state["retain"] = None

# Integrated gradients with Captum's approximation parameters, black baseline.
n = spec["ig_steps"]
if spec["ig_method"] == "gausslegendre":
    xs, ws = np.polynomial.legendre.leggauss(n)
    alphas, weights = list(0.5 * (xs + 1)), list(0.5 * ws)
else:  # riemann_trapezoid
    alphas = list(np.linspace(0, 1, n))
    weights = [1 / (2 * (n - 1))] + [1 / (n - 1)] * (n - 2) + [1 / (2 * (n - 1))]
base = torch.zeros_like(x0)
total = torch.zeros_like(x0)
for al, wt in zip(alphas, weights):
    total += wt * grad_of(base + al * (x0 - base), class_score)
np.save(d + "/ig.npy", (total * (x0 - base)).numpy())

# FGSM: the gradient of the cross-entropy of the true labels.
np.save(d + "/fgsm_grad.npy", grad_of(x0, lambda y: F.cross_entropy(y, classes, reduction="sum")).numpy())
