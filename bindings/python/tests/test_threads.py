"""GIL release and sessions in parallel threads. Any Python 3.7+; numpy optional.
Needs INCEPTION_TEST_MODEL (see support.py).

No verdict here depends on how long anything takes. With the interpreter's switch interval
set far beyond the test's length, a thread holding the GIL keeps it until it releases it
itself, so another thread's counter can only move across a C call if that call released the
GIL. A C call that held it would never let the counter move, however fast the machine; a
slow or loaded machine only means more tries before the first move is seen."""
import contextlib
import sys
import threading
import time
import unittest

import inception

from .support import needs_model, pattern, shared_model

TRIES = 40  # C calls watched; the first one across which the other thread moved passes


@contextlib.contextmanager
def no_forced_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


class Spinner:
    """A Python thread counting loop iterations; it gives the GIL up between iterations
    (the short sleep) so the thread it watches can take it back."""

    def __init__(self):
        self.count = 0
        self.stop = False
        self.thread = threading.Thread(target=self._spin, daemon=True)

    def _spin(self):
        while not self.stop:
            self.count += 1
            time.sleep(0.0001)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def moved_across_run(session, tensor, counter):
    """Run `tensor` on `session` up to TRIES times through the binding's own ctypes function
    (the only point between the two reads where this thread can let the GIL go) and return
    on how many tries counter() moved across the run, stopping at the first."""
    lib = session._lib
    ptr = session._enter()
    try:
        tp = tensor._ptr()
        for i in range(TRIES):
            before = counter()
            st = lib.inception_session_run(ptr, tp)
            after = counter()
            if st:
                raise AssertionError("run failed with status %d" % st)
            if after != before:
                return i + 1
        return 0
    finally:
        session._busy.release()


@needs_model
class TestThreads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = shared_model()

    def test_gil_released_during_run(self):
        side = 150
        tensor = inception.Tensor.wrap(pattern(3 * side * side), shape=(1, 3, side, side))
        with self.model.session(threads=1) as session:
            session.features(tensor)  # plan memory first
            with Spinner() as spin, no_forced_switches():
                tries = moved_across_run(session, tensor, lambda: spin.count)
        self.assertGreater(tries, 0, "another Python thread made no progress during %d runs: "
                                     "does inception_session_run hold the GIL?" % TRIES)

    def test_two_sessions_in_parallel(self):
        # Thread B runs its own session in a loop and counts finished runs; B finishing a run
        # while A is inside one means both sessions were in use at once (B enters C, leaves it
        # and runs Python while A's call has not given the GIL back).
        side_a, side_b = 150, 75
        tensor_a = inception.Tensor.wrap(pattern(3 * side_a * side_a),
                                         shape=(1, 3, side_a, side_a))
        values_b = pattern(3 * side_b * side_b)
        with self.model.session(threads=1) as s:
            want_a = list(s.features(tensor_a)[0])
            want_b = list(s.features(values_b, shape=(1, 3, side_b, side_b))[0])
        state = {"runs": 0, "stop": False, "wrong": 0, "error": None}
        ready = threading.Event()

        def thread_b():
            try:
                with self.model.session(threads=1) as s:
                    s.features(values_b, shape=(1, 3, side_b, side_b))
                    ready.set()
                    while not state["stop"]:
                        f = s.features(values_b, shape=(1, 3, side_b, side_b))
                        state["wrong"] += list(f[0]) != want_b
                        state["runs"] += 1
            except Exception as e:  # reported below
                state["error"] = e
            finally:
                ready.set()

        b = threading.Thread(target=thread_b, daemon=True)
        b.start()
        ready.wait()
        with self.model.session(threads=1) as session_a:
            session_a.features(tensor_a)
            try:
                with no_forced_switches():
                    tries = moved_across_run(session_a, tensor_a, lambda: state["runs"])
            finally:
                state["stop"] = True
                b.join()
            got_a = list(session_a.output("features")[0])
        self.assertIsNone(state["error"])
        self.assertGreater(tries, 0, "thread B finished no run during %d runs of thread A"
                           % TRIES)
        self.assertEqual(state["wrong"], 0)
        self.assertEqual(got_a, want_a)

    def test_results_same_in_threads(self):
        side = 90
        values = pattern(3 * side * side)
        with self.model.session(threads=1) as s:
            expected = list(s.features(values, shape=(1, 3, side, side))[0])
        results = [None] * 4

        def work(i):
            with self.model.session(threads=1) as s:
                for _ in range(3):
                    results[i] = list(s.features(values, shape=(1, 3, side, side))[0])

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assertEqual(r, expected)


if __name__ == "__main__":
    unittest.main()
