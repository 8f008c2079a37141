#!/usr/bin/python3
"""Head training on Debian's dataset-fashion-mnist: a benchmark, not a CI test (slow).

    apt-get install dataset-fashion-mnist python3-sklearn python3-pil python3-numpy
    build/tools/inception-make-model build/generated-inception_v3.safetensors
    INCEPTION_LIBRARY=build/lib/libinception.so.1 PYTHONPATH=bindings/python \\
        /usr/bin/python3 tools/bench_train_fashion.py [--model M] [--train 10000] [--val 2000]

The first --train images of the training set and the first --val of the test set are
upscaled from 28x28 to 75x75 (PIL bilinear), grey to RGB, normalised as the model says
(mean = std = 0.5 for the generated model), and run through the trunk once (timed: the
feature pass). A new head is then trained on the features with inception.Trainer (timed per
epoch: the head pass) and evaluated on the validation images; a scikit-learn
LogisticRegression on the same features is the yardstick (they should agree within a
point). Prints figures; asserts nothing. --workdir keeps the features between runs.

--scope Mixed_7b (or all, last:N, ...; issue 13) trains below the head on the images
themselves (no feature cache) for --epochs, reports validation top-1, and times training
steps against Debian's PyTorch on torchvision's Inception3 loaded from the same file with the
same scope, batch and thread count, alternating library and PyTorch steps on the same
batches (--compare-steps of each), as a time-per-step-per-image ratio.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
from PIL import Image

import inception

DATA = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]


def idx(path):
    with gzip.open(path) as f:
        magic, n = struct.unpack(">II", f.read(8))
        if magic == 2051:
            rows, cols = struct.unpack(">II", f.read(8))
            return np.frombuffer(f.read(), np.uint8).reshape(n, rows, cols)
        return np.frombuffer(f.read(), np.uint8)


def prepare(images, side, mean, std):
    out = np.empty((len(images), 3, side, side), np.float32)
    for i, a in enumerate(images):
        up = np.asarray(Image.fromarray(a).resize((side, side), Image.BILINEAR), np.float32) / 255
        for c in range(3):
            out[i, c] = (up - mean[c]) / std[c]
    return out


def features(model, x, threads, batch=50):
    with model.session(threads=threads, outputs=["features"]) as s:
        return np.concatenate([np.asarray(s.features(x[i:i + batch])) for i in range(0, len(x), batch)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="build/generated-inception_v3.safetensors")
    ap.add_argument("--train", type=int, default=10000)
    ap.add_argument("--val", type=int, default=2000)
    ap.add_argument("--size", type=int, default=75)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--optimizer", default="rmsprop")
    ap.add_argument("--lr", type=float, default=0.045)
    ap.add_argument("--ema", type=float, default=0.9999)
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--weight-decay", type=float, default=0.00004)
    ap.add_argument("--clip", type=float, default=2.0)
    ap.add_argument("--momentum", type=float, default=-1)
    ap.add_argument("--schedule", default="exponential")
    ap.add_argument("--epsilon", type=float, default=1.0)
    ap.add_argument("--placement", default="tf", help="RMSProp epsilon placement: tf or pytorch")
    ap.add_argument("--C", type=float, default=1.0, help="LogisticRegression's C")
    ap.add_argument("--lr-iter", type=int, default=1000, help="LogisticRegression's max_iter")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--scope", default="fc", help="fc, Mixed_5b..Mixed_7c, all, last:N")
    ap.add_argument("--head-init", default=None, help="torchvision (the library's default) or linear")
    ap.add_argument("--compare-steps", type=int, default=5, help="timed steps each vs PyTorch")
    args = ap.parse_args()

    model = inception.Model(args.model)
    if args.scope != "fc":
        return scope_bench(args, model)
    norm = dict(kv.split("=") for kv in model.info()["normalization"].split())
    mean = [float(v) for v in norm["mean"].split(",")]
    std = [float(v) for v in norm["std"].split(",")]
    cache = args.workdir and os.path.join(args.workdir, "fm_%d_%d_%d.npz" % (args.train, args.val, args.size))
    if cache and os.path.exists(cache):
        z = np.load(cache)
        ftr, fva, ytr, yva, t_feat = z["ftr"], z["fva"], z["ytr"], z["yva"], float(z["t_feat"])
        print("features: from %s" % cache)
    else:
        xtr = idx(DATA + "/train-images-idx3-ubyte.gz")[:args.train]
        ytr = idx(DATA + "/train-labels-idx1-ubyte.gz")[:args.train].astype(np.int32)
        xva = idx(DATA + "/t10k-images-idx3-ubyte.gz")[:args.val]
        yva = idx(DATA + "/t10k-labels-idx1-ubyte.gz")[:args.val].astype(np.int32)
        ptr, pva = prepare(xtr, args.size, mean, std), prepare(xva, args.size, mean, std)
        t0 = time.time()
        ftr = features(model, ptr, args.threads)
        t_feat = time.time() - t0
        fva = features(model, pva, args.threads)
        if cache:
            os.makedirs(args.workdir, exist_ok=True)
            np.savez(cache, ftr=ftr, fva=fva, ytr=ytr, yva=yva, t_feat=t_feat)
    print("feature pass: %d images in %.1f s (%.1f ms/image) = one epoch without the cache"
          % (len(ftr), t_feat, 1e3 * t_feat / len(ftr)))

    trainer = inception.Trainer(model, classes=10, labels=LABELS, optimizer=args.optimizer,
                                lr=args.lr, ema_decay=args.ema, label_smoothing=args.smoothing,
                                batch=args.batch, epoch_size=len(ftr), input_size=args.size,
                                weight_decay=args.weight_decay, clip_norm=args.clip,
                                momentum=args.momentum, schedule=args.schedule,
                                epsilon=args.epsilon, epsilon_placement=args.placement,
                                **({"head_init": args.head_init} if args.head_init else {}))
    rng = np.random.default_rng(0)
    head_times = []
    for e in range(args.epochs):
        order = rng.permutation(len(ftr))
        t0 = time.time()
        losses = []
        for i in range(0, len(order), args.batch):
            sel = order[i:i + args.batch]
            losses.append(trainer.train(np.ascontiguousarray(ftr[sel]), ytr[sel]))
        head_times.append(time.time() - t0)
        r = trainer.evaluate(np.ascontiguousarray(fva), yva)
        print("epoch %2d: train loss %.4f  val loss %.4f  top-1 %.4f  top-5 %.4f  lr %.4g  head %.2f s"
              % (e + 1, np.mean(losses), r["loss"], r["top1"], r["top5"], trainer.lr, head_times[-1]))

    from sklearn.linear_model import LogisticRegression
    t0 = time.time()
    lr = LogisticRegression(C=args.C, max_iter=args.lr_iter).fit(ftr, ytr)
    acc_lr = lr.score(fva, yva)
    t_lr = time.time() - t0
    print()
    print("settings: %s" % " ".join("%s=%s" % kv for kv in sorted(vars(args).items())))
    print("validation top-1: trainer %.4f, sklearn LogisticRegression(C=%g, %d iterations) %.4f "
          "(%.1f s), chance 0.1000" % (r["top1"], args.C, int(np.max(lr.n_iter_)), acc_lr, t_lr))
    print("difference: %+.2f points" % (100 * (r["top1"] - acc_lr)))
    print("time per epoch: features %.1f s (first run; 0 with the cache) vs head %.2f s"
          % (t_feat, np.mean(head_times)))
    print("confusion (rows true, columns predicted):")
    for row, name in zip(r["confusion"], LABELS):
        print("  %-12s %s" % (name, " ".join("%4d" % v for v in row)))
    return 0


SCOPE_BLOCKS = ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]


def torch_model(path, scope, threads):
    """torchvision's Inception3 from the model file, the scope in train mode, RMSProp as
    the library's (TF placement written out) over the scope's parameters."""
    import torch
    import torchvision
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from check_train_torch import read_safetensors
    torch.set_num_threads(threads or os.cpu_count())
    tensors, _ = read_safetensors(path)
    m = torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=False,
                                        init_weights=False, num_classes=tensors["fc.weight"].shape[0])
    state = m.state_dict()
    for k in state:
        if k in tensors:
            state[k] = tensors[k].float() if tensors[k].dtype != torch.int64 else tensors[k]
    m.load_state_dict(state)
    m.fc = torch.nn.Linear(2048, 10)
    if scope == "all":
        blocks = None
    elif scope.startswith("last:"):
        blocks = SCOPE_BLOCKS[11 - int(scope[5:]):]
    else:
        blocks = SCOPE_BLOCKS[SCOPE_BLOCKS.index(scope):]
    m.eval()
    keep = lambda n: not n.startswith("AuxLogits") and (blocks is None or n.split(".")[0] in blocks + ["fc", "dropout"])
    for name, mod in m.named_children():
        if keep(name):
            mod.train()
    params = []
    for name, p in m.named_parameters():
        p.requires_grad_(keep(name))
        if keep(name):
            params.append(p)
    opt = torch.optim.RMSprop(params, lr=0.045, alpha=0.9, eps=1.0)  # timing only
    return m, opt


def scope_bench(args, model):
    norm = dict(kv.split("=") for kv in model.info()["normalization"].split())
    mean = [float(v) for v in norm["mean"].split(",")]
    std = [float(v) for v in norm["std"].split(",")]
    xtr = idx(DATA + "/train-images-idx3-ubyte.gz")[:args.train]
    ytr = idx(DATA + "/train-labels-idx1-ubyte.gz")[:args.train].astype(np.int32)
    xva = idx(DATA + "/t10k-images-idx3-ubyte.gz")[:args.val]
    yva = idx(DATA + "/t10k-labels-idx1-ubyte.gz")[:args.val].astype(np.int32)
    ptr, pva = prepare(xtr, args.size, mean, std), prepare(xva, args.size, mean, std)
    # every optimizer setting reaches the trainer, as for the head (they did not before)
    tr = inception.Trainer(model, classes=10, labels=LABELS, scope=args.scope, batch=args.batch,
                           epoch_size=len(ptr), input_size=args.size, lr=args.lr, ema_decay=args.ema,
                           label_smoothing=args.smoothing, threads=args.threads,
                           optimizer=args.optimizer, weight_decay=args.weight_decay, clip_norm=args.clip,
                           momentum=args.momentum, schedule=args.schedule, epsilon=args.epsilon,
                           epsilon_placement=args.placement,
                           **({"head_init": args.head_init} if args.head_init else {}))
    rng = np.random.default_rng(0)
    if args.compare_steps > 0:
        compare_steps(args, tr, ptr, ytr, rng)
    print("scope memory %.1f MB, %d trainable parameters" % (tr.scope_memory / 1e6, tr.trainable))
    for e in range(args.epochs):
        order = rng.permutation(len(ptr))
        t0 = time.time()
        losses = [tr.train(np.ascontiguousarray(ptr[order[i:i + args.batch]]), ytr[order[i:i + args.batch]])
                  for i in range(0, len(order), args.batch)]
        # in batches: below the head each evaluation runs the scope's plan at that batch
        z = np.concatenate([np.array(tr.logits(np.ascontiguousarray(pva[i:i + args.batch])))
                            for i in range(0, len(pva), args.batch)])
        k = min(20, len(losses))
        print("epoch %2d: train loss %.4f (first %d steps %.4f, last %d %.4f)  val top-1 %.4f  %.1f s, load %.1f"
              % (e + 1, np.mean(losses), k, np.mean(losses[:k]), k, np.mean(losses[-k:]),
                 float(np.mean(z.argmax(1) == yva)), time.time() - t0, os.getloadavg()[0]), flush=True)
    return 0


def compare_steps(args, tr, ptr, ytr, rng):
    """Times --compare-steps library steps against PyTorch's, alternating on the same batches."""
    import torch
    import torch.nn.functional as F
    tm, opt = torch_model(args.model, args.scope, args.threads)
    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    for s in range(args.compare_steps):
        sel = rng.choice(len(ptr), args.batch, replace=False)
        x = np.ascontiguousarray(ptr[sel])
        t0, c0 = time.perf_counter(), time.process_time()
        tr.train(x, ytr[sel])
        ours.append(time.perf_counter() - t0)
        ours_cpu.append(time.process_time() - c0)
        xt = torch.from_numpy(x) if x.shape[1] == 3 else torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        F.cross_entropy(tm(xt), torch.from_numpy(ytr[sel]).long(), label_smoothing=args.smoothing).backward()
        opt.step()
        theirs.append(time.perf_counter() - t0)
        theirs_cpu.append(time.process_time() - c0)
    a, b = np.median(ours) / args.batch, np.median(theirs) / args.batch
    print("scope %s, batch %d, %dx%d, threads %s: library %.1f ms/image/step, PyTorch %s %.1f ms/image/step, "
          "ratio %.2f (median of %d alternating steps; < 1: faster than PyTorch)"
          % (args.scope, args.batch, args.size, args.size, args.threads or os.cpu_count(), 1e3 * a,
             torch.__version__, 1e3 * b, a / b, args.compare_steps))
    print("CPU time (all threads): library %.1f ms/image/step, PyTorch %.1f ms/image/step, ratio %.2f; "
          "load average %.2f" % (1e3 * np.median(ours_cpu) / args.batch, 1e3 * np.median(theirs_cpu) / args.batch,
                                 np.median(ours_cpu) / np.median(theirs_cpu), os.getloadavg()[0]))


if __name__ == "__main__":
    sys.exit(main())
