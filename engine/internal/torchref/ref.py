# Reference runner for engine/internal/torchref (embedded in the Go test
# binary). Usage: python3 ref.py DIR. Reads DIR/cases.json and DIR/inputs.bin
# (float32 little-endian), runs every case, writes DIR/results.json and
# DIR/outputs.bin (float64 little-endian). A failing case records its
# traceback and does not stop the others.
import json
import math
import sys
import traceback

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # reported to Go as "torch is missing"
    print("TORCHREF-UNAVAILABLE:", e)
    sys.exit(3)


def main():
    d = sys.argv[1]
    with open(d + "/cases.json") as f:
        spec = json.load(f)
    raw = np.fromfile(d + "/inputs.bin", dtype="<f4")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    chunks = []
    pos = [0]

    def put(arrays, key, t):
        a = t.detach().to(torch.float64).contiguous().numpy().ravel()
        arrays[key] = {"shape": list(t.shape), "offset": pos[0], "len": int(a.size)}
        chunks.append(a)
        pos[0] += int(a.size)

    results = []
    for c in spec["cases"]:
        res = {"name": c["name"], "arrays": {}}
        try:
            dtype = torch.float32 if c.get("float32") else torch.float64
            env = {"torch": torch, "F": F, "nn": torch.nn, "math": math, "np": np}
            named = {}
            leaves = []
            for inp in c["inputs"]:
                a = raw[inp["offset"]: inp["offset"] + inp["len"]].reshape(inp["shape"])
                t = torch.from_numpy(a.copy()).to(dtype)
                if inp["grad"]:
                    t.requires_grad_(True)
                    leaves.append((inp["name"], t))
                named[inp["name"]] = t
                if inp["name"].isidentifier():
                    env[inp["name"]] = t
            env["T"] = named
            env["extra"] = {}
            exec(compile(c["code"], c["name"], "exec"), env)
            out = env["out"]
            if leaves:
                if "loss" in env:
                    env["loss"].backward()
                else:
                    n = out.numel()
                    gy = torch.cos(torch.arange(n, dtype=torch.float64) * 1.3 + 0.5)
                    (out * gy.to(out.dtype).reshape(out.shape)).sum().backward()
            put(res["arrays"], "out", out)
            for name, t in leaves:
                g = t.grad if t.grad is not None else torch.zeros_like(t)
                put(res["arrays"], "grad." + name, g)
            for k, v in env["extra"].items():
                if not torch.is_tensor(v):
                    v = torch.tensor(v)
                put(res["arrays"], "extra." + k, v)
        except Exception:
            res["error"] = traceback.format_exc()
        results.append(res)
    data = np.concatenate(chunks) if chunks else np.zeros(0)
    data.astype("<f8").tofile(d + "/outputs.bin")
    with open(d + "/results.json", "w") as f:
        json.dump({"torch": torch.__version__, "cases": results}, f)


main()
