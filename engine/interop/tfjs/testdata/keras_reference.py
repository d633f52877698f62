#!/usr/bin/python3
"""Independent NumPy reference for TensorFlow.js layers models.

Reads model.json and its weight shards itself (from a folder, a model.json
path or an npm .tgz), and runs the Keras layers directly in NHWC with
TensorFlow's semantics (padding="same" puts the odd pixel after, max-pool
padding never wins, average-pool padding is not counted). It shares no code
with Workbench's importer.

usage: keras_reference.py MODEL PIXELS.npy OUT.npy [--preprocess caffe|tf|none]

PIXELS.npy is N,C,H,W float32 (RGB, 0-255 for images); the script applies
the preprocessing itself, transposes to NHWC and writes the model's output
(N,K float32; after the final activation, as Keras returns it).
"""
import io, json, os, sys, tarfile
import numpy as np


def load(path):
    files = {}
    if os.path.isdir(path) or path.endswith('.json'):
        root = path if os.path.isdir(path) else os.path.dirname(path)
        mj = path if path.endswith('.json') else None
        if mj is None:
            for d, _, fs in os.walk(root):
                if 'model.json' in fs:
                    mj = os.path.join(d, 'model.json')
                    break
        base = os.path.dirname(mj)
        model = json.load(open(mj))
        read = lambda p: open(os.path.join(base, p), 'rb').read()
    else:
        # One sequential pass: seeking back in a gzip stream decompresses
        # it again from the start.
        with tarfile.open(path, 'r|gz') as tf:
            names = {m.name: tf.extractfile(m).read() for m in tf if m.isfile()}
        mj = [n for n in names if os.path.basename(n) == 'model.json'][0]
        base = os.path.dirname(mj)
        model = json.loads(names[mj])
        read = lambda p: names[os.path.normpath(os.path.join(base, p))]
    weights = {}
    for g in model['weightsManifest']:
        buf = b''.join(read(p) for p in g['paths'])
        off = 0
        for w in g['weights']:
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            q = w.get('quantization')
            if q:
                dt = {'uint8': np.uint8, 'uint16': np.uint16, 'float16': np.float16}[q['dtype']]
                raw = np.frombuffer(buf, dtype=dt, count=n, offset=off)
                off += n * np.dtype(dt).itemsize
                v = raw.astype(np.float32) if q['dtype'] == 'float16' else raw.astype(np.float32) * np.float32(q['scale']) + np.float32(q['min'])
            else:
                dt = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
                v = np.frombuffer(buf, dtype='<' + np.dtype(dt).str[1:], count=n, offset=off).astype(np.float32)
                off += 4 * n
            weights[w['name']] = v.reshape(w['shape'])
    return model, weights


def same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def pair(v):
    return (v, v) if isinstance(v, (int, float)) else tuple(v)


def windows(x, kh, kw, sh, sw, d=1):
    """x: N,H,W,C -> N,OH,OW,C,kh,kw (valid windows)."""
    v = np.lib.stride_tricks.sliding_window_view(x, ((kh - 1) * d + 1, (kw - 1) * d + 1), axis=(1, 2))
    return v[:, ::sh, ::sw, :, ::d, ::d]


def pad_same(x, cfg, kh, kw, sh, sw, d, value=0.0):
    if cfg.get('padding', 'valid') != 'same':
        return x
    t, b = same_pads(x.shape[1], kh, sh, d)
    l, r = same_pads(x.shape[2], kw, sw, d)
    return np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)


def act(x, name):
    if name in (None, 'linear'):
        return x
    if name == 'relu':
        return np.maximum(x, 0)
    if name == 'relu6':
        return np.clip(x, 0, 6)
    if name == 'sigmoid':
        return 1 / (1 + np.exp(-x))
    if name == 'tanh':
        return np.tanh(x)
    if name == 'elu':
        return np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1)
    if name == 'softmax':
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    raise SystemExit('reference: activation %s not implemented' % name)


def conv(x, k, cfg, groups=1):
    kh, kw = k.shape[:2]
    sh, sw = pair(cfg.get('strides', 1))
    d = pair(cfg.get('dilation_rate', 1))[0]
    x = pad_same(x, cfg, kh, kw, sh, sw, d)
    if kh == kw == 1 and groups == 1:
        return np.tensordot(x[:, ::sh, ::sw], k[0, 0], axes=([3], [0])).astype(np.float32)
    win = windows(x, kh, kw, sh, sw, d)  # N,OH,OW,C,kh,kw
    cin = x.shape[3]
    cg, og = cin // groups, k.shape[3] // groups
    outs = []
    for g in range(groups):
        wg = win[:, :, :, g * cg:(g + 1) * cg]
        kg = k[:, :, :, g * og:(g + 1) * og]  # kh,kw,cg,og
        outs.append(np.tensordot(wg, kg.transpose(2, 0, 1, 3), axes=([3, 4, 5], [0, 1, 2])))
    return np.concatenate(outs, -1).astype(np.float32)


def depthwise(x, k, cfg):
    kh, kw, c, m = k.shape
    sh, sw = pair(cfg.get('strides', 1))
    d = pair(cfg.get('dilation_rate', 1))[0]
    x = pad_same(x, cfg, kh, kw, sh, sw, d)
    win = windows(x, kh, kw, sh, sw, d)
    out = np.einsum('nhwcij,ijcm->nhwcm', win, k)
    return out.reshape(out.shape[:3] + (c * m,)).astype(np.float32)


def run(model, weights, x):
    topo = model['modelTopology']
    topo = topo.get('model_config', topo)
    cfgs = topo['config']
    if topo['class_name'] == 'Sequential':
        layers = cfgs if isinstance(cfgs, list) else cfgs['layers']
        seq = True
    else:
        layers, seq = cfgs['layers'], False
    W = lambda lname, p: weights[lname + '/' + p]
    vals = {}
    prev = None
    for L in layers:
        name, cls, cfg = L['name'] if 'name' in L else L['config']['name'], L['class_name'], L['config']
        if cls == 'InputLayer':
            vals[name] = prev = x
            continue
        if seq:
            ins = [prev if prev is not None else x]
        else:
            ins = [vals[r[0]] for r in L['inbound_nodes'][0]]
        h = ins[0]
        if cls == 'Conv2D':
            y = conv(h, W(name, 'kernel'), cfg, cfg.get('groups', 1))
            if cfg.get('use_bias', True):
                y = y + W(name, 'bias')
            y = act(y, cfg.get('activation'))
        elif cls == 'DepthwiseConv2D':
            y = depthwise(h, W(name, 'depthwise_kernel'), cfg)
            if cfg.get('use_bias', True):
                y = y + W(name, 'bias')
            y = act(y, cfg.get('activation'))
        elif cls == 'SeparableConv2D':
            y = depthwise(h, W(name, 'depthwise_kernel'), cfg)
            y = np.tensordot(y, W(name, 'pointwise_kernel')[0, 0], axes=([3], [0]))
            if cfg.get('use_bias', True):
                y = y + W(name, 'bias')
            y = act(y, cfg.get('activation'))
        elif cls == 'BatchNormalization':
            n = h.shape[-1]
            g = W(name, 'gamma') if cfg.get('scale', True) else np.ones(n, np.float32)
            b = W(name, 'beta') if cfg.get('center', True) else np.zeros(n, np.float32)
            y = (h - W(name, 'moving_mean')) / np.sqrt(W(name, 'moving_variance') + np.float32(cfg.get('epsilon', 1e-3))) * g + b
        elif cls == 'Activation':
            y = act(h, cfg['activation'])
        elif cls == 'ReLU':
            y = np.maximum(h, 0)
            if cfg.get('max_value') is not None:
                y = np.minimum(y, cfg['max_value'])
        elif cls == 'LeakyReLU':
            y = np.where(h > 0, h, h * np.float32(cfg.get('alpha', 0.3)))
        elif cls == 'Softmax':
            y = act(h, 'softmax')
        elif cls == 'ZeroPadding2D':
            p = cfg['padding']
            if isinstance(p, int):
                p = [[p, p], [p, p]]
            elif isinstance(p[0], int):
                p = [[p[0], p[0]], [p[1], p[1]]]
            y = np.pad(h, ((0, 0), tuple(p[0]), tuple(p[1]), (0, 0)))
        elif cls in ('MaxPooling2D', 'AveragePooling2D'):
            kh, kw = pair(cfg.get('pool_size', 2))
            sh, sw = pair(cfg.get('strides') or (kh, kw))
            if cls == 'MaxPooling2D':
                y = windows(pad_same(h, cfg, kh, kw, sh, sw, 1, -np.inf), kh, kw, sh, sw).max((4, 5))
            else:
                s = windows(pad_same(h, cfg, kh, kw, sh, sw, 1), kh, kw, sh, sw).sum((4, 5))
                ones = np.ones(h.shape[:3] + (1,), np.float32)
                cnt = windows(pad_same(ones, cfg, kh, kw, sh, sw, 1), kh, kw, sh, sw).sum((4, 5))
                y = s / cnt
        elif cls == 'GlobalAveragePooling2D':
            y = h.mean((1, 2))
        elif cls == 'GlobalMaxPooling2D':
            y = h.max((1, 2))
        elif cls == 'Add':
            y = sum(ins[1:], ins[0])
        elif cls == 'Concatenate':
            y = np.concatenate(ins, -1)
        elif cls == 'Flatten':
            y = h.reshape(h.shape[0], -1)
        elif cls == 'Dense':
            y = h @ W(name, 'kernel')
            if cfg.get('use_bias', True):
                y = y + W(name, 'bias')
            y = act(y, cfg.get('activation'))
        elif cls == 'Dropout':
            y = h
        else:
            raise SystemExit('reference: layer %s not implemented' % cls)
        vals[name] = prev = y.astype(np.float32)
    if seq:
        return prev
    return vals[topo['config']['output_layers'][0][0]]


def main():
    args = sys.argv[1:]
    mode = 'none'
    if '--preprocess' in args:
        i = args.index('--preprocess')
        mode = args[i + 1]
        del args[i:i + 2]
    model_path, pixels, out = args
    model, weights = load(model_path)
    x = np.load(pixels).astype(np.float32)  # N,C,H,W
    if mode == 'caffe':
        x = x[:, ::-1] - np.array([103.939, 116.779, 123.68], np.float32)[None, :, None, None]
    elif mode == 'tf':
        x = x / np.float32(127.5) - 1
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1), dtype=np.float32)
    if x.shape[1] == 1 and x.shape[2] == 1 and model_is_vector(model):
        x = x.reshape(x.shape[0], -1)
    y = run(model, weights, x)
    np.save(out, y.reshape(y.shape[0], -1).astype(np.float32))


def model_is_vector(model):
    topo = model['modelTopology']
    topo = topo.get('model_config', topo)
    cfg = topo['config']
    layers = cfg if isinstance(cfg, list) else cfg['layers']
    shape = layers[0]['config'].get('batch_input_shape')
    return shape is not None and len(shape) == 2


if __name__ == '__main__':
    main()
