"""The same FGSM/PGD attack as `workbench attack`, in PyTorch, on the
exported model (model.py + weights.npz): the peer of --against pytorch.

argv: folder with model.py, weights.npz, x.npy (pixels in [0,1]),
labels.npy (true classes), goal.npy (the attack's labels), start.npy
(starting perturbation), mean.npy, std.npy and spec.json
({"norm", "eps", "step", "steps", "targeted"}). Prints one JSON line with
clean_acc and adv_acc.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

d = sys.argv[1]
sys.path.insert(0, d)
import model  # noqa: E402

spec = json.load(open(d + "/spec.json"))
net = model.Net()
model.load_weights(net, d + "/weights.npz")
net.eval()
for p in net.parameters():
    p.requires_grad_(False)
x = torch.from_numpy(np.load(d + "/x.npy"))
labels = torch.from_numpy(np.load(d + "/labels.npy")).long()
goal = torch.from_numpy(np.load(d + "/goal.npy")).long()
delta = torch.from_numpy(np.load(d + "/start.npy"))
mean = torch.from_numpy(np.load(d + "/mean.npy"))
std = torch.from_numpy(np.load(d + "/std.npy"))
eps, step, norm = spec["eps"], spec["step"], spec["norm"]
sign = -1.0 if spec["targeted"] else 1.0


def logits(z):
    return net((z - mean) / std)


adv = (x + delta).clamp(0, 1)
delta = adv - x
for _ in range(spec["steps"]):
    a = adv.clone().requires_grad_(True)
    F.cross_entropy(logits(a), goal, reduction="sum").backward()
    g = a.grad
    if norm == "linf":
        delta = (delta + sign * step * g.sign()).clamp(-eps, eps)
    else:
        n = g.flatten(1).norm(dim=1).view(-1, *[1] * (g.dim() - 1))
        delta = delta + sign * step * torch.where(n > 0, g / n.clamp_min(1e-30), torch.zeros_like(g))
        dn = delta.flatten(1).norm(dim=1).view(-1, *[1] * (g.dim() - 1))
        delta = torch.where(dn > eps, delta * (eps / dn.clamp_min(1e-30)), delta)
    adv = (x + delta).clamp(0, 1)
    delta = adv - x

with torch.no_grad():
    clean = (logits(x).argmax(1) == labels).double().mean().item()
    robust = (logits(adv).argmax(1) == labels).double().mean().item()
print(json.dumps({"clean_acc": clean, "adv_acc": robust}))
