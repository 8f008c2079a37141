#!/usr/bin/env python3
"""Per-call overhead of the Python binding next to bare ctypes calls of the C API.

Any Python 3.7+; numpy optional (used when present). Runs are interleaved so both paths see
the same machine load; 1-thread sessions, same backend.

    INCEPTION_LIBRARY=build/lib/libinception.so.1 PYTHONPATH=bindings/python \\
        /usr/bin/python3 bindings/python/bench_overhead.py MODEL [RUNS]
"""
import ctypes
import os
import statistics
import sys
import time
import timeit

import inception
from inception import core

model_path = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
backend = "simd" if inception.backend_available("simd") else "auto"
model = inception.Model(model_path, backend=backend)
session = model.session(threads=1)
lib, sp = session._lib, session._ptr()
np = core.np

for side in (75, 299):
    n = 3 * side * side
    vals = [((i * 7919) % 1000) / 500.0 - 1.0 for i in range(n)]
    if np is not None:
        data = np.array(vals, dtype=np.float32).reshape(1, 3, side, side)
    else:
        import array
        data = array.array("f", vals)
    shape = None if np is not None else (1, 3, side, side)
    tensor = inception.Tensor((1, 3, side, side))
    tensor.memoryview()[:] = (data.ravel() if np is not None else data)
    out = ctypes.c_void_p()
    raw, py_arr, py_tensor = [], [], []
    session.features(tensor)
    for _ in range(runs):
        t0 = time.perf_counter()
        lib.inception_session_run(sp, tensor._ptr())  # bare C call, borrowed output
        lib.inception_session_output(sp, 4, ctypes.byref(out))
        raw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session.features(data, shape=shape)  # wrap caller memory, run, copy features out
        py_arr.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session.features(tensor)  # a prepared Tensor
        py_tensor.append(time.perf_counter() - t0)
    m = [statistics.median(v) * 1e3 for v in (raw, py_arr, py_tensor)]
    print("%dx%d %s 1 thread, %d runs: bare ctypes %.3f ms, features(%s) %.3f ms (%+.3f), "
          "features(Tensor) %.3f ms (%+.3f)" % (side, side, backend, runs, m[0],
          "ndarray" if np is not None else "array('f')", m[1], m[1] - m[0], m[2], m[2] - m[0]))

# The binding's own work per call, without the network: wrap + free an input, and copy one
# output out of the session.
k = 20000
wrap = timeit.timeit(lambda: inception.Tensor.wrap(data, shape=shape).close(), number=k) / k
copy = timeit.timeit(lambda: session.output("features"), number=k) / k
print("binding work per call: Tensor.wrap+close %.1f us, output('features') copy %.1f us "
      "(numpy %s)" % (wrap * 1e6, copy * 1e6, "yes" if np is not None else "no"))
