#!/usr/bin/python3
"""Benchmark (not a test): images/s for embedding a corpus four ways, same machine, same run.

Runs with Debian's /usr/bin/python3 (numpy, PIL, python3-distributed). Makes N images from the
bundled photos at many sizes and crops (deterministic), then times, in alternating rounds:
  session   one Python session, 1 thread, batch 16 (the inference-only rate)
  cli       `inception features` over the list (one process, --threads 1)
  shard     `inception features --shard I/2` in 2 processes at once, 1 thread each
  dask      inception.distributed.embed on a LocalCluster, 2 workers x 1 thread
and prints images/s, plus the distributed path's overhead per image against the session
rate (2 workers should reach 2x one session; overhead = 1 - rate / (2 x session rate)).

Wall-clock rates need a quiet machine. The CPU figures do not: each path's CPU seconds per
image (every process it uses: the driver with Dask's scheduler, the workers and their
nannies; the CLI processes) against the session's, so the overhead is the extra CPU the
distributed machinery spends per image, whatever else the machine runs.

    tools/bench_distributed.py --model build/generated-inception_v3.safetensors \
        --cli build/tools/inception/inception -n 2000 --rounds 2
Needs INCEPTION_LIBRARY (or an installed library) and PYTHONPATH=bindings/python.
"""
import argparse
import glob
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
import inception  # noqa: E402
import inception.distributed as idist  # noqa: E402


def make_corpus(folder, n):
    photos = [Image.open(p).convert("RGB") for p in sorted(
        glob.glob(os.path.join(REPO, "tests/image/data/*.jpg")) +
        glob.glob(os.path.join(REPO, "tests/image/data/*.png")))]
    rng = np.random.default_rng(1)
    paths = []
    for i in range(n):
        im = photos[i % len(photos)]
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.4, 1)), int(h * rng.uniform(0.4, 1))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        side = int(rng.integers(160, 640))
        crop = im.crop((x, y, x + cw, y + ch))
        crop = crop.resize((side, max(80, side * ch // cw)))
        p = os.path.join(folder, "img%05d.jpg" % i)
        crop.save(p, quality=90)
        paths.append(p)
    return paths


def isa(cli, model):
    try:
        out = subprocess.run([cli, "info", model], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    for line in out.splitlines():
        if "isa" in line.lower() or "backend" in line.lower():
            return line.strip()
    return "?"


def proc_cpu(pid):
    """CPU seconds (user + system) of a live process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_session(model, paths):
    with inception.Model(model) as m, m.session(threads=1, outputs=["features"]) as s:
        t, c = time.perf_counter(), time.process_time()
        for b in range(0, len(paths), 16):
            tensor = m.preprocess(paths[b:b + 16])
            s.features(tensor)
            tensor.close()
        return time.perf_counter() - t, time.process_time() - c


def run_cli(cli, model, listfile, tmp, shards):
    procs = []
    t, c = time.perf_counter(), children_cpu()
    for i in range(shards):
        args = [cli, "features", "--model", model, "--threads", "1", "--files-from", listfile,
                "--format", "npy"]
        if shards > 1:
            args += ["--shard", "%d/%d" % (i, shards), "-o", os.path.join(tmp, "cli-shards")]
        else:
            args += ["-o", os.path.join(tmp, "cli.npy")]
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for p in procs:
        _, err = p.communicate()
        if p.returncode not in (0,):
            raise RuntimeError("cli failed: %s" % err.decode()[-500:])
    return time.perf_counter() - t, children_cpu() - c


def dask_pids(client):
    """Worker processes and their nannies' (a LocalCluster's nannies live in this process,
    whose CPU time is counted once, by process_time)."""
    pids = set()
    for pid, ppid in client.run(lambda: (os.getpid(), os.getppid())).values():
        pids |= {pid, ppid}
    pids.discard(os.getpid())
    return sorted(pids)


def run_dask(client, model, paths, out):
    pids = dask_pids(client)
    c0 = time.process_time() + sum(proc_cpu(p) for p in pids)
    t = time.perf_counter()
    idist.embed(paths, model, client, out=out, threads=1, overwrite=True)
    t = time.perf_counter() - t
    if sorted(dask_pids(client)) != sorted(pids):
        raise RuntimeError("a Dask worker restarted during the run: its CPU time is lost")
    return t, time.process_time() + sum(proc_cpu(p) for p in pids) - c0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--cli", default=os.path.join(REPO, "build/tools/inception/inception"))
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--dask-config", choices=("quiet", "default"), default="quiet",
                    help="quiet: inception.distributed.QUIET_CONFIG (the documented setting); "
                         "default: Dask's own defaults")
    args = ap.parse_args()
    model = os.path.abspath(args.model)
    from distributed import Client, LocalCluster
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_corpus(tmp, args.n)
        listfile = os.path.join(tmp, "list.txt")
        with open(listfile, "w") as f:
            f.write("\n".join(paths) + "\n")
        have_shard = b"--shard" in subprocess.run([args.cli, "features", "--help"],
                                                  capture_output=True).stdout
        times = {k: [] for k in ("session", "cli", "shard", "dask")}
        cpu = {k: [] for k in times}
        load0 = os.getloadavg()[0]
        import dask
        cfg = idist.QUIET_CONFIG if args.dask_config == "quiet" else {}
        with dask.config.set(cfg), LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                          silence_logs=50) as cl, Client(cl) as client:
            def add(k, tc):
                times[k].append(tc[0])
                cpu[k].append(tc[1])

            # the workers load the model before the first timed round
            run_dask(client, model, paths[:4], os.path.join(tmp, "dask-warm"))
            for r in range(args.rounds):
                add("session", run_session(model, paths))
                add("cli", run_cli(args.cli, model, listfile, tmp, 1))
                if have_shard:
                    add("shard", run_cli(args.cli, model, listfile, tmp, 2))
                add("dask", run_dask(client, model, paths, os.path.join(tmp, "dask-%d" % r)))
        print("# %d images (bundled photos, sizes 160-640), %s, %s, %d rounds, median; "
              "dask config %s; load average %.2f before, %.2f after" % (
                  args.n, platform.processor() or platform.machine(), isa(args.cli, model),
                  args.rounds, args.dask_config, load0, os.getloadavg()[0]))
        rates = {}
        for k, ts in times.items():
            if ts:
                rates[k] = args.n / float(np.median(ts))
                print("%-8s %8.1f images/s  (times %s s)  CPU %.1f ms/image" % (
                    k, rates[k], " ".join("%.1f" % t for t in ts),
                    1000 * float(np.median(cpu[k])) / args.n))
            else:
                print("%-8s  (not measured: the CLI has no --shard)" % k)
        ideal = 2 * rates["session"]
        print("dask 2x1 overhead per image vs 2 x one session: %.1f%%" %
              (100 * (1 - rates["dask"] / ideal)))
        if "shard" in rates:
            print("shard 2x1 overhead per image vs 2 x one session: %.1f%%" %
                  (100 * (1 - rates["shard"] / ideal)))
        base = float(np.median(cpu["session"]))
        for k in ("cli", "shard", "dask"):
            if cpu[k]:
                print("%s CPU per image vs the session's: %+.1f%%" % (
                    k, 100 * (float(np.median(cpu[k])) / base - 1)))


if __name__ == "__main__":
    main()
