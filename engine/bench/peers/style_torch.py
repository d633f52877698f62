"""style peer: neural style transfer in PyTorch (see engine/bench/style.go).

Loads the network our side exported (model.py, weights.npz), the same
content and style images, and runs the same losses (content MSE at one
ReLU, Gram style loss G = F F^T / (C H W) with mean squared error over the
style ReLUs), start (the content image), optimizer (torch.optim.Adam,
pixels clamped to [0, 1] after each step) and steps. Reports the seconds
of the whole transfer and the final loss."""

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
with open(os.path.join(d, "style-spec.json")) as f:
    spec = json.load(f)
sys.path.insert(0, d)
model_py = importlib.import_module("model")
net = model_py.Net()
model_py.load_weights(net, os.path.join(d, "weights.npz"))
net.eval()
for p in net.parameters():
    p.requires_grad_(False)
n = spec["size"]


def image(name):
    a = np.fromfile(os.path.join(d, name), dtype="<f4").reshape(1, 3, n, n)
    return torch.from_numpy(a.copy())


content, style = image("content.f32"), image("style.f32")
layers = spec["style_layers"]
taps = {}
for conv, relu in zip(spec["convs"], layers):
    getattr(net, conv).register_forward_hook(lambda m, i, o, relu=relu: taps.__setitem__(relu, F.relu(o)))


def feats(x):
    taps.clear()
    net(x)
    return dict(taps)


def gram(f):
    c = f.shape[1]
    m = f.reshape(c, -1)
    return m @ m.t() / m.numel()


start = time.perf_counter()
with torch.no_grad():
    ct = feats(content)[spec["content_layer"]]
    grams = [gram(feats(style)[l]) for l in layers]


def loss_of(x):
    a = feats(x)
    l = spec["content_weight"] * ((a[spec["content_layer"]] - ct) ** 2).mean()
    for l_name, g in zip(layers, grams):
        l = l + spec["style_weight"] * ((gram(a[l_name]) - g) ** 2).mean()
    return l


x = content.clone().requires_grad_(True)
with torch.no_grad():
    loss_start = loss_of(x).item()
opt = torch.optim.Adam([x], lr=spec["lr"])
for _ in range(spec["steps"]):
    opt.zero_grad()
    loss_of(x).backward()
    opt.step()
    with torch.no_grad():
        x.clamp_(0, 1)
with torch.no_grad():
    loss = loss_of(x).item()
secs = time.perf_counter() - start
benchlib.report(secs, loss=loss, loss_start=loss_start, steps=spec["steps"], threads=opts["threads"], torch=torch.__version__)
