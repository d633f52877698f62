"""ref-cnn peer: one PyTorch training epoch of the reference CNN on
Fashion-MNIST (see engine/bench/refcnn.go).

Same model (conv3x3 32, ReLU, max-pool 2, conv3x3 64, ReLU, max-pool 2,
fc 128, ReLU, fc 10), optimizer (Adam, lr 1e-3), batch (64, shuffled each
epoch, last batch partial), threads and data as our side: the IDX files our
side loaded, read with NumPy, pixels scaled to [0, 1] batch by batch. The
images stay uint8 in memory, as in our loader. Reports training images per
second over the epoch and the test accuracy."""

import glob
import gzip
import json
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

with open(os.path.join(opts["dir"], "refcnn-data.json")) as f:
    where = json.load(f)


def idx(kind, split):
    """Reads the IDX file of split ("train" or "t10k") and kind ("images",
    "labels") from our side's folder, gzipped or not."""
    names = sorted(glob.glob(os.path.join(where["dir"], "%s-%s-idx*-ubyte*" % (split, kind))))
    if not names:
        raise SystemExit("ref-cnn peer: no %s %s IDX file in %s" % (split, kind, where["dir"]))
    opener = gzip.open if names[0].endswith(".gz") else open
    with opener(names[0], "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def subset(x, y, n, seed):
    """A seeded subset of n images (tests run small epochs; the subset is
    not the one our side draws, which only matters for those tests)."""
    if not n or n >= len(y):
        return x, y
    keep = np.random.default_rng(seed).permutation(len(y))[:n]
    return x[keep], y[keep]


xtr, ytr = subset(idx("images", "train"), idx("labels", "train"), where.get("limit_train"), opts["seed"])
xte, yte = subset(idx("images", "t10k"), idx("labels", "t10k"), where.get("limit_test"), opts["seed"] + 1)
xtr = torch.from_numpy(np.ascontiguousarray(xtr)).unsqueeze(1)  # uint8 [N,1,28,28]
ytr = torch.from_numpy(ytr.astype(np.int64))
xte = torch.from_numpy(np.ascontiguousarray(xte)).unsqueeze(1)
yte = torch.from_numpy(yte.astype(np.int64))
h, w = xtr.shape[2], xtr.shape[3]
classes = 10


class RefCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


model = RefCNN()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
batch = 64
benchlib.log("ref-cnn: pytorch %s trains one epoch of %d images on %d threads" % (
    torch.__version__, len(ytr), torch.get_num_threads()))

model.train()
start, cpu0 = time.perf_counter(), time.process_time()
order = torch.randperm(len(ytr))
loss_sum, correct = 0.0, 0
for lo in range(0, len(ytr), batch):
    ix = order[lo:lo + batch]
    x = xtr[ix].float().div_(255)
    y = ytr[ix]
    opt.zero_grad(set_to_none=True)
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    opt.step()
    loss_sum += loss.item() * len(ix)
    correct += (out.argmax(1) == y).sum().item()
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
ips = len(ytr) / seconds

model.eval()
hits = 0
with torch.no_grad():
    for lo in range(0, len(yte), batch):
        x = xte[lo:lo + batch].float().div_(255)
        hits += (model(x).argmax(1) == yte[lo:lo + batch]).sum().item()
acc = hits / len(yte)
benchlib.log("ref-cnn: pytorch %.0f images/s, train loss %.4f, test accuracy %.2f%%" % (
    ips, loss_sum / len(ytr), 100 * acc))
benchlib.report(ips, acc=acc, train_loss=loss_sum / len(ytr), train_acc=correct / len(ytr),
                epoch_seconds=seconds, epoch_cpu_seconds=cpu, images=len(ytr), test_images=len(yte),
                torch=torch.__version__, threads=torch.get_num_threads())
