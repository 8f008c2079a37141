#!/usr/bin/env python3
"""Print the top-k labels of each image.

Any Python 3.7+ (standard library only). Needs libinception (installed, or INCEPTION_LIBRARY
pointing at libinception.so.1) and the `inception` package (pip install bindings/python, or
PYTHONPATH=bindings/python).

    python3 examples/python/classify.py --model inception_v3.safetensors cat.jpg dog.png
"""
import argparse
import os
import sys

import inception


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("images", nargs="+")
    ap.add_argument("--model", default=os.environ.get("INCEPTION_MODEL"), required=
                    "INCEPTION_MODEL" not in os.environ, help="safetensors model file")
    ap.add_argument("-k", type=int, default=5, help="how many classes to print")
    ap.add_argument("--backend", help="auto, ref, simd")
    ap.add_argument("--threads", type=int, default=0, help="worker threads (0: all cores)")
    args = ap.parse_args()

    status = 0
    with inception.Model(args.model, backend=args.backend) as model, \
            model.session(threads=args.threads) as session:
        if model.synthetic:
            print("note: generated weights, the labels are meaningless", file=sys.stderr)
        for path in args.images:
            try:
                predictions = session.classify(path, k=args.k)
            except (inception.ImageError, inception.IOFailure) as e:
                print("%s: %s" % (path, e), file=sys.stderr)
                status = 1
                continue
            print(path)
            for p in predictions:
                print("  %5.3f  %4d  %s" % (p.probability, p.index, p.label))
    return status


if __name__ == "__main__":
    sys.exit(main())
