"""knn peer: NumPy's vectorised L2 distance matrix (see engine/bench/knn.go).

Reads the matrices our side wrote (same pixels on both sides) and times
sqrt(|a|^2 + |b|^2 - 2 a.b^T), the course's no-loop version."""

import os
import tempfile

import benchlib
import numpy as np

opts = benchlib.options()
d = os.path.join(tempfile.gettempdir(), "workbench-bench-knn-%d" % opts["seed"])
tr = np.load(os.path.join(d, "train.npy"))
te = np.load(os.path.join(d, "test.npy"))


def dists():
    sq = (te * te).sum(1)[:, None] + (tr * tr).sum(1)[None, :] - 2.0 * te.dot(tr.T)
    return np.sqrt(np.maximum(sq, 0))


best, med, calls = benchlib.measure(dists)
benchlib.log("numpy knn: %.4f s per matrix" % best)
benchlib.report(best, median=med, calls=calls, numpy=np.__version__)
