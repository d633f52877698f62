"""tsne peer: scikit-learn's Barnes-Hut t-SNE (see engine/bench/tsne.go).

Reads the features our side wrote (the same vectors on both sides), times
one whole TSNE.fit_transform with the same settings (perplexity,
iterations, early exaggeration 12, learning rate "auto", initialisation,
angle 0.5, seed and threads), and writes the embedding for our side to
score with the same code as its own."""

import json
import os
import time

import benchlib
import numpy as np
import sklearn
from sklearn.manifold import TSNE

opts = benchlib.options()
with open(os.path.join(opts["dir"], "tsne-job.json")) as f:
    job = json.load(f)
X = np.load(job["features"])

kwargs = dict(n_components=2, perplexity=job["perplexity"], early_exaggeration=12.0,
              learning_rate="auto", init=job["init"], method="barnes_hut", angle=0.5,
              random_state=opts["seed"], n_jobs=opts["threads"])
# scikit-learn renamed n_iter to max_iter in 1.5.
try:
    tsne = TSNE(max_iter=job["iterations"], **kwargs)
except TypeError:
    tsne = TSNE(n_iter=job["iterations"], **kwargs)

benchlib.log("sklearn tsne: embedding %d points of %d values on %d threads" % (X.shape[0], X.shape[1], opts["threads"]))
t0 = time.perf_counter()
Y = tsne.fit_transform(X)
secs = time.perf_counter() - t0
np.save(job["layout"], Y.astype(np.float64))
benchlib.log("sklearn tsne: %.2f s, KL %.4f (its own estimate)" % (secs, tsne.kl_divergence_))
benchlib.report(secs, kl=float(tsne.kl_divergence_), iterations=int(tsne.n_iter_) + 1,
                layout_npy=job["layout"], sklearn=sklearn.__version__)
