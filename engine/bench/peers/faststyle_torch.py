"""fast-style peer: the fast style transfer network in PyTorch (see
engine/bench/faststyle.go).

Builds the same transformation network as our side (conv 9x9, two stride-2
convs, residual blocks, nearest x2 upsampling then conv, conv 9x9, each conv
reflection-padded as spec["padding"] says, instance norm with the style's gamma and beta, ReLU, sigmoid) and loads our weights
(params.f32 in the order faststyle-spec.json lists). Times stylising one
image under torch.inference_mode(), and a training step: the batch through
the network and the exported VGG-like perceptual network, content MSE at
one ReLU, batched Gram style losses (G = F F^T / (C H W)) against the style
image's, backward, one Adam step. Reports images/s, steps/s, the first
and second steps' losses and the largest difference between its stylised image and
ours."""

import importlib
import json
import os
import sys

import benchlib
import numpy as np
import torch
import torch.nn.functional as F

opts = benchlib.options()
torch.set_num_threads(opts["threads"])
d = opts["dir"]
with open(os.path.join(d, "faststyle-spec.json")) as f:
    spec = json.load(f)


def f32(name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(d, name), dtype="<f4").reshape(shape).copy())


flat = np.fromfile(os.path.join(d, "params.f32"), dtype="<f4")
P, off = {}, 0
for p in spec["params"]:
    n = int(np.prod(p["shape"]))
    P[p["name"]] = torch.nn.Parameter(torch.from_numpy(flat[off:off + n].reshape(p["shape"]).copy()))
    off += n
assert off == len(flat), "params.f32 does not match the spec"
params = list(P.values())


def net_conv(x, name, stride=1):
    # Reflection padding (nn.ReflectionPad2d before each convolution, as
    # Johnson et al.), or zeros for a network made before it.
    w = P[name + ".weight"]
    p = w.shape[2] // 2
    if spec.get("padding", "zeros") == "reflect":
        return F.conv2d(F.pad(x, (p, p, p, p), mode="reflect"), w, P[name + ".bias"], stride=stride)
    return F.conv2d(x, w, P[name + ".bias"], stride=stride, padding=p)


def block(x, name, stride=1, relu=True):
    x = net_conv(x, name, stride)
    # One style: its row of the conditional instance norm's gamma and beta.
    x = F.instance_norm(x, weight=P[name + "_in.weight"][0], bias=P[name + "_in.bias"][0], eps=1e-5)
    return F.relu(x) if relu else x


def net(x):
    x = block(x, "conv1")
    x = block(x, "down1", 2)
    x = block(x, "down2", 2)
    for i in range(1, spec["residual"] + 1):
        h = block(x, "res%da" % i)
        x = x + block(h, "res%db" % i, relu=False)
    x = block(F.interpolate(x, scale_factor=2, mode="nearest"), "up1")
    x = block(F.interpolate(x, scale_factor=2, mode="nearest"), "up2")
    return torch.sigmoid(net_conv(x, "out"))


n = spec["size"]
img = f32("image.f32", (1, 3, n, n))
with torch.inference_mode():
    out = net(img)
ours = f32("ours-out.f32", (1, 3, n, n))
max_diff = float((out - ours).abs().max())
benchlib.log("fast-style: peer stylises %dx%d images; largest difference from ours %.3g" % (n, n, max_diff))


def stylise():
    with torch.inference_mode():
        net(img)


best, med, calls = t_inf = benchlib.measure(stylise)

# The training step.
sys.path.insert(0, os.path.join(d, "perceptual"))
model_py = importlib.import_module("model")
per = model_py.Net()
model_py.load_weights(per, os.path.join(d, "perceptual", "weights.npz"))
per.eval()
for p in per.parameters():
    p.requires_grad_(False)
layers = spec["style_layers"]
taps = {}
for conv, relu in zip(spec["convs"], layers):
    getattr(per, conv).register_forward_hook(lambda m, i, o, relu=relu: taps.__setitem__(relu, F.relu(o)))


def feats(x):
    taps.clear()
    per(x)
    return dict(taps)


def gram(f):
    b, c = f.shape[0], f.shape[1]
    m = f.reshape(b, c, -1)
    return m @ m.transpose(1, 2) / m[0].numel()


t = spec["train_size"]
batch = f32("batch.f32", (spec["batch"], 3, t, t))
with torch.no_grad():
    grams = [gram(feats(f32("style.f32", (1, 3, t, t)))[l]).expand(spec["batch"], -1, -1) for l in layers]
opt = torch.optim.Adam(params, lr=spec["lr"])


def step():
    with torch.no_grad():
        ct = feats(batch)[spec["content_layer"]]
    y = net(batch)
    a = feats(y)
    loss = spec["content_weight"] * ((a[spec["content_layer"]] - ct) ** 2).mean()
    for l, g in zip(layers, grams):
        loss = loss + spec["style_weight"] * ((gram(a[l]) - g) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


loss_first = step()
loss_second = step()
t_train = benchlib.measure(step)
benchlib.report(1 / med, stylise_seconds=med, stylise_cpu_seconds=t_inf.cpu, train_steps_per_sec=1 / t_train[1],
                train_cpu_seconds=t_train.cpu, loss_first=loss_first, loss_second=loss_second, max_pixel_diff=max_diff, threads=opts["threads"],
                torch=torch.__version__)
