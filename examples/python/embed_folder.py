#!/usr/bin/env python3
"""Compute the 2048-d features of every image in a folder, save them, and print each image's
nearest neighbour by cosine similarity.

Any Python 3.7+. With numpy, features are saved as FOLDER_features.npy (an [N, 2048] array)
and the similarity is one matrix product; without numpy they go to a CSV file. Needs
libinception (installed, or INCEPTION_LIBRARY) and the `inception` package.

    python3 examples/python/embed_folder.py --model inception_v3.safetensors photos/
"""
import argparse
import math
import os
import sys

import inception

try:
    import numpy as np
except ImportError:
    np = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--model", default=os.environ.get("INCEPTION_MODEL"), required=
                    "INCEPTION_MODEL" not in os.environ, help="safetensors model file")
    ap.add_argument("--batch", type=int, default=inception.DEFAULT_BATCH_SIZE,
                    help="images per run (bounds memory)")
    ap.add_argument("-r", "--recursive", action="store_true", help="include subfolders")
    ap.add_argument("--out", help="output file (default: FOLDER_features.npy or .csv)")
    args = ap.parse_args()

    paths, rows = [], []

    def progress(done, total):
        print("\r%d/%d" % (done, total), end="", file=sys.stderr, flush=True)

    with inception.Model(args.model) as model, model.session() as session:
        # Runs args.batch images at a time and yields as it goes; a bad file is reported
        # and skipped instead of losing the batch.
        for e in session.iter_embed(args.folder, batch_size=args.batch, on_error="skip",
                                    progress=progress, recursive=args.recursive):
            if e.error is not None:
                print("\n%s: %s" % (e.source, e.error), file=sys.stderr)
                continue
            paths.append(e.source)
            rows.append(e.features)
    print(file=sys.stderr)
    if not rows:
        sys.exit("no JPEG or PNG files could be embedded in %s" % args.folder)

    use_numpy = np is not None and inception.HAVE_NUMPY
    out = args.out or args.folder.rstrip("/") + ("_features.npy" if use_numpy else
                                                  "_features.csv")
    if use_numpy:
        feats = np.stack(rows)
        np.save(out, feats)
        unit = feats / np.linalg.norm(feats, axis=1, keepdims=True)
        sim = unit @ unit.T
        np.fill_diagonal(sim, -2.0)
        nearest = [(int(j), float(sim[i, j])) for i, j in enumerate(sim.argmax(axis=1))]
    else:
        with open(out, "w") as f:
            for path, row in zip(paths, rows):
                f.write(os.path.basename(path) + "," + ",".join("%.6g" % v for v in row) + "\n")
        norms = [math.sqrt(sum(v * v for v in r)) for r in rows]

        def cos(i, j):
            return sum(a * b for a, b in zip(rows[i], rows[j])) / (norms[i] * norms[j])
        nearest = [max(((j, cos(i, j)) for j in range(len(rows)) if j != i),
                       key=lambda t: t[1], default=(-1, 0.0)) for i in range(len(rows))]
    print("wrote %d x %d features to %s" % (len(rows), len(rows[0]), out))
    for path, (j, s) in zip(paths, nearest):
        if j >= 0:
            print("%s  nearest %s  (cosine %.3f)"
                  % (os.path.basename(path), os.path.basename(paths[j]), s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
