#!/usr/bin/python3
"""Embed a folder of photos on Dask (or in this process), then answer nearest-neighbour
queries by cosine similarity over the stored embeddings.

Runs with Debian's /usr/bin/python3 (numpy; python3-distributed for a cluster). Needs
libinception (installed, or INCEPTION_LIBRARY) and the `inception` package.

    # embed (resumable: run it again after a crash and only missing shards are redone)
    examples/python/distributed_search.py --model M.safetensors --out emb/ index photos/
    # same, on a scheduler you started elsewhere (dask scheduler / dask worker)
    examples/python/distributed_search.py --model M --out emb/ --scheduler tcp://host:8786 \
        index photos/
    # the 5 stored images nearest to a query image
    examples/python/distributed_search.py --model M --out emb/ query cat.jpg
"""
import argparse
import os
import sys

import numpy as np

import inception
import inception.distributed as idist


def list_images(folder):
    exts = (".jpg", ".jpeg", ".png")
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs
                  if f.lower().endswith(exts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.environ.get("INCEPTION_MODEL"),
                    required="INCEPTION_MODEL" not in os.environ)
    ap.add_argument("--out", required=True, help="directory of the shards")
    ap.add_argument("--scheduler", help="address of a Dask scheduler (default: in-process)")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("command", choices=["index", "query"])
    ap.add_argument("path", help="folder to index, or the query image")
    args = ap.parse_args()

    if args.command == "index":
        client = None
        if args.scheduler:
            from distributed import Client
            client = Client(args.scheduler)
        paths = list_images(args.path)
        s = idist.embed(paths, os.path.abspath(args.model), client, out=args.out,
                        progress=lambda d, n: print("\r%d/%d" % (d, n), end="",
                                                    file=sys.stderr))
        print("\n%(images)d images, %(ok)d embedded, %(errors)d failed" % s)
        return 0

    feats, index = idist.load(args.out)
    ok = np.isfinite(feats).all(axis=1)
    unit = feats[ok] / np.linalg.norm(feats[ok], axis=1, keepdims=True)
    names = [r["path"] for r, good in zip(index, ok) if good]
    with inception.Model(args.model) as model, model.session() as session:
        q = np.asarray(session.embed([args.path]), dtype=np.float32)[0]
    sims = unit @ (q / np.linalg.norm(q))
    for j in np.argsort(-sims)[:args.k]:
        print("%.4f %s" % (sims[j], names[j]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
