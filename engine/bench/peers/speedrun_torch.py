"""cifar-speedrun peer: airbench94's recipe (Keller Jordan 2024) in plain
PyTorch, fp32 on the CPU (see engine/bench/speedrun.go).

The same network (frozen 2x2 whitening conv + bias, three blocks of conv3x3,
max-pool 2, BatchNorm with frozen scale, activation, conv3x3, BatchNorm,
activation; 3x3 max-pool; bias-free linear; x 1/9), the same recipe
(Nesterov SGD, lr 11.5 and wd 0.0153 per 1024 examples, momentum 0.85,
BatchNorm biases at 64x the lr, whitening bias (at the base lr) trained for
3 epochs, triangular schedule 0.2 -> 1 at 23% -> 0.07, label smoothing 0.2
on the summed loss, Lookahead every 5 steps, alternating flip +
reflect-translate 2 augmentation, mirror + translate TTA on logits),
threads and data (the raw CIFAR-10 pixels our side decoded) as ours.
Reports training images per second over the epochs and the test accuracy."""

import json
import math
import os
import time

import benchlib
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

opts = benchlib.options()
torch.set_num_threads(opts["threads"])
torch.manual_seed(opts["seed"])

with open(os.path.join(opts["dir"], "speedrun-data.json")) as f:
    d = json.load(f)
C, H, W = d["C"], d["H"], d["W"]


def load(pix, labels, n):
    x = np.fromfile(pix, dtype=np.uint8).reshape(n, C, H, W)
    y = np.fromfile(labels, dtype="<i4").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


xtr, ytr = load(d["Train"], d["TrainY"], d["NTrain"])
xte, yte = load(d["Test"], d["TestY"], d["NTest"])
classes = len(d["Classes"])
MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def normalize(x):
    return (x.float() / 255 - MEAN) / STD


hyp = dict(epochs=d["epochs"], batch=d["batch"], lr=11.5, momentum=0.85, wd=0.0153, bias_scaler=64.0,
           label_smoothing=0.2, whiten_bias_epochs=3, translate=2, bn_momentum=0.6, scale=1 / 9,
           widths=(64, 256, 256))


class BatchNorm(nn.BatchNorm2d):
    def __init__(self, n):
        super().__init__(n, eps=1e-12, momentum=1 - hyp["bn_momentum"])
        self.weight.requires_grad = False


class Conv(nn.Conv2d):
    def __init__(self, cin, cout):
        super().__init__(cin, cout, kernel_size=3, padding="same", bias=False)

    def reset_parameters(self):
        super().reset_parameters()
        w = self.weight.data
        torch.nn.init.dirac_(w[:w.size(1)])


Act = nn.GELU if d["act"] == "gelu" else nn.ReLU


class ConvGroup(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = Conv(cin, cout)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = BatchNorm(cout)
        self.conv2 = Conv(cout, cout)
        self.norm2 = BatchNorm(cout)
        self.activ = Act()

    def forward(self, x):
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        w = hyp["widths"]
        self.whiten = nn.Conv2d(3, 24, kernel_size=2, padding=0, bias=True)
        self.act = Act()
        self.block1 = ConvGroup(24, w[0])
        self.block2 = ConvGroup(w[0], w[1])
        self.block3 = ConvGroup(w[1], w[2])
        self.pool = nn.MaxPool2d(3)
        self.head = nn.Linear(w[2], classes, bias=False)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.act(self.whiten(x)))))
        return self.head(torch.flatten(self.pool(x), 1)) * hyp["scale"]


def init_whitening(conv, images, eps=5e-4):
    c, (h, w) = images.shape[1], conv.weight.shape[2:]
    patches = images.unfold(2, h, 1).unfold(3, w, 1).transpose(1, 3).reshape(-1, c, h, w).double()
    flat = patches.view(len(patches), -1)
    cov = flat.T @ flat / len(flat)
    vals, vecs = torch.linalg.eigh(cov, UPLO="U")
    vals, vecs = vals.flip(0).view(-1, 1, 1, 1), vecs.T.reshape(c * h * w, c, h, w).flip(0)
    scaled = (vecs / torch.sqrt(vals + eps)).float()
    conv.weight.data[:] = torch.cat((scaled, -scaled))
    conv.weight.requires_grad = False


class Lookahead:
    def __init__(self, net):
        self.ema = {k: v.clone() for k, v in net.state_dict().items()}

    def update(self, net, decay):
        for e, p in zip(self.ema.values(), net.state_dict().values()):
            if p.dtype == torch.float:
                e.lerp_(p, 1 - decay)
                p.copy_(e)


def batch_crop_flip(x, translate, gen, flip):
    """Reflect-pad by translate, crop a random 32x32 window per image and
    mirror the images where flip is set, as our data.NormalizeCrop does."""
    n = len(x)
    padded = F.pad(x, (translate,) * 4, mode="reflect")
    dy = torch.randint(0, 2 * translate + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * translate + 1, (n,), generator=gen)
    ar = torch.arange(H)
    rows = (dy.view(n, 1) + ar.view(1, H))  # [n, H]
    cols = (dx.view(n, 1) + ar.view(1, W))  # [n, W]
    cols = torch.where(flip.view(n, 1), cols.flip(1), cols)
    idx_n = torch.arange(n).view(n, 1, 1, 1)
    idx_c = torch.arange(C).view(1, C, 1, 1)
    return padded[idx_n, idx_c, rows.view(n, 1, H, 1), cols.view(n, 1, 1, W)]


net = Net()
init_whitening(net.whiten, normalize(xtr[:min(5000, len(xtr))]))
batch, momentum = hyp["batch"], hyp["momentum"]
kilostep = 1024 * (1 + 1 / (1 - momentum))
lr = hyp["lr"] / kilostep
wd = hyp["wd"] * batch / kilostep
lr_biases = lr * hyp["bias_scaler"]
biases = [p for k, p in net.named_parameters() if "norm" in k and p.requires_grad]
other = [p for k, p in net.named_parameters() if "norm" not in k and p.requires_grad]
opt = torch.optim.SGD([dict(params=biases, lr=lr_biases, weight_decay=wd / lr_biases, initial_lr=lr_biases),
                       dict(params=other, lr=lr, weight_decay=wd / lr, initial_lr=lr)],
                      momentum=momentum, nesterov=True)
nb = len(ytr) // batch
total = math.ceil(nb * hyp["epochs"])


def lr_factor(step):
    peak = int(0.23 * total)
    if step < peak:
        f = step / peak
        return 0.2 * (1 - f) + f
    f = (step - peak) / (total - peak)
    return (1 - f) + 0.07 * f


lookahead = Lookahead(net)
loss_fn = nn.CrossEntropyLoss(label_smoothing=hyp["label_smoothing"], reduction="none")
gen = torch.Generator().manual_seed(opts["seed"])
# Alternating flip: half the images mirrored once, at random, and all of
# them mirrored again every odd epoch.
mirror = torch.rand(len(ytr), generator=gen) < 0.5
benchlib.log("cifar-speedrun: pytorch %s trains %g epochs of %d images, batch %d, %s, on %d threads" % (
    torch.__version__, hyp["epochs"], len(ytr), batch, d["act"], torch.get_num_threads()))

FWD = {"aten::conv2d": "conv", "aten::batch_norm": "bn", "aten::gelu": "gelu", "aten::relu": "relu",
       "aten::max_pool2d": "pool", "aten::linear": "linear"}
BWD = [("Convolution", "conv"), ("BatchNorm", "bn"), ("Gelu", "gelu"), ("Relu", "relu"), ("Threshold", "relu"),
       ("Pool", "pool"), ("MmBackward", "linear"), ("TBackward", "linear"), ("AccumulateGrad", "accumulate grad")]


def profile_rows(p):
    """Time per layer type over the profiled steps (benchlib.profile_rows)."""
    return benchlib.profile_rows(p, FWD, BWD)


prof = None
if opts["params"].get("profile"):
    from torch.profiler import ProfilerActivity, profile
    prof = profile(activities=[ProfilerActivity.CPU])
    prof.__enter__()
step, train_seconds, images = 0, 0.0, 0
epoch_seconds = []
cpu0 = time.process_time()
for epoch in range(math.ceil(hyp["epochs"])):
    if step >= total:
        break
    net.whiten.bias.requires_grad = epoch < hyp["whiten_bias_epochs"]
    net.train()
    start = time.perf_counter()
    order = torch.randperm(len(ytr), generator=gen)
    loss_sum, correct, seen = 0.0, 0, 0
    for b in range(nb):
        if step >= total:
            break
        ix = order[b * batch:(b + 1) * batch]
        x = batch_crop_flip(normalize(xtr[ix]), hyp["translate"], gen, mirror[ix] ^ (epoch % 2 == 1))
        y = ytr[ix]
        out = net(x)
        loss = loss_fn(out, y).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        f = lr_factor(step)
        for g in opt.param_groups:
            g["lr"] = g["initial_lr"] * f
        opt.step()
        step += 1
        if step % 5 == 0:
            lookahead.update(net, decay=0.95 ** 5 * (step / total) ** 3)
        loss_sum += loss.item()
        correct += (out.argmax(1) == y).sum().item()
        seen += len(ix)
    if step >= total:
        lookahead.update(net, decay=1.0)
    sec = time.perf_counter() - start
    epoch_seconds.append(sec)
    train_seconds += sec
    images += seen
    benchlib.log("cifar-speedrun: pytorch epoch %d: %.1f s, train loss %.4f, train accuracy %.2f%%" % (
        epoch + 1, sec, loss_sum / seen, 100 * correct / seen))
cpu = time.process_time() - cpu0
ips = images / train_seconds
extra = {}
if prof is not None:
    prof.__exit__(None, None, None)
    extra["profile_train"], text = profile_rows(prof)
    benchlib.log("cifar-speedrun: pytorch, time per layer type over the training steps:\n" + text)

def infer_mirror(x):
    return 0.5 * net(x) + 0.5 * net(x.flip(-1))


net.eval()
hits, hits_flip, hits_plain = 0, 0, 0
with torch.no_grad():
    for lo in range(0, len(yte), 500):
        x = normalize(xte[lo:lo + 500])
        y = yte[lo:lo + 500]
        a = net(x)
        m = 0.5 * a + 0.5 * net(x.flip(-1))
        padded = F.pad(x, (1,) * 4, mode="reflect")
        t = torch.stack([infer_mirror(padded[:, :, 0:H, 0:W]), infer_mirror(padded[:, :, 2:H + 2, 2:W + 2])]).mean(0)
        hits += ((0.5 * m + 0.5 * t).argmax(1) == y).sum().item()
        hits_flip += (m.argmax(1) == y).sum().item()
        hits_plain += (a.argmax(1) == y).sum().item()
acc, acc_flip, acc_plain = hits / len(yte), hits_flip / len(yte), hits_plain / len(yte)
benchlib.log("cifar-speedrun: pytorch %.1f images/s, %.1f s per epoch, test accuracy %.2f%% (mirror and translate TTA; %.2f%% mirror only, %.2f%% without)" % (
    ips, train_seconds / len(epoch_seconds), 100 * acc, 100 * acc_flip, 100 * acc_plain))
benchlib.report(ips, acc=acc, acc_flip=acc_flip, acc_plain=acc_plain, train_loss=loss_sum / seen, train_acc=correct / seen,
                epoch_seconds=train_seconds / len(epoch_seconds), train_seconds=train_seconds,
                train_cpu_seconds=cpu, steps=step, train_images=images, epochs=hyp["epochs"], images=len(ytr), test_images=len(yte),
                torch=torch.__version__, threads=torch.get_num_threads(), **extra)
