#!/usr/bin/python3
# Any python3 (standard library only).
"""Sum an ONNX Runtime JSON profile (tools/ort_run.js --profile) per operator: which kernels
ORT ran (QLinearConv = its int8 convolution) and their share of the time. The first run is
left out when the profile has more (its times include one-off allocations).

  ort_profile.py PROFILE.json
"""
import collections
import json
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip())
    ev = json.load(open(sys.argv[1]))
    runs = [e for e in ev if e.get("cat") == "Session" and e.get("name") == "model_run"]
    t0 = runs[1]["ts"] if len(runs) > 1 else 0
    warm = max(len(runs) - 1, 1)
    dur, count, prov = collections.Counter(), collections.Counter(), {}
    for e in ev:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time") or e["ts"] < t0:
            continue
        op = e["args"].get("op_name", "?")
        dur[op] += e["dur"]
        count[op] += 1
        prov[op] = e["args"].get("provider", "?")
    total = sum(dur.values()) or 1
    print(f"# {sys.argv[1]}: {len(runs)} runs, {warm} summed; ms per run")
    for op, d in dur.most_common():
        print(f"{op:24s} nodes={count[op] // warm:3d} ms={d / 1000 / warm:8.2f} "
              f"share={100 * d / total:5.1f}% provider={prov[op]}")


if __name__ == "__main__":
    main()
