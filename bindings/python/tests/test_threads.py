"""GIL release and sessions in parallel threads. Any Python 3.7+; numpy optional.
Needs INCEPTION_TEST_MODEL (see support.py)."""
import threading
import time
import unittest

import inception

from .support import needs_model, pattern, shared_model


@needs_model
class TestThreads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = shared_model()

    def test_gil_released_during_run(self):
        # While one thread is inside a long C call, another thread keeps running Python. If
        # the call held the GIL, the watcher would see one gap as long as the whole call.
        side = 299
        values = pattern(2 * 3 * side * side)
        session = self.model.session(threads=1)
        session.features(values, shape=(2, 3, side, side))  # plan memory first
        state = {"run": True, "gap": 0.0}

        def watch():
            last = time.perf_counter()
            while state["run"]:
                now = time.perf_counter()
                state["gap"] = max(state["gap"], now - last)
                last = now

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            time.sleep(0.05)
            state["gap"] = 0.0
            t0 = time.perf_counter()
            session.features(values, shape=(2, 3, side, side))
            call = time.perf_counter() - t0
            gap = state["gap"]
        finally:
            state["run"] = False
            watcher.join()
            session.close()
        self.assertGreater(call, 0.05)
        self.assertLess(gap, call / 2,
                        "the Python thread stalled %.3f s during a %.3f s call: is the GIL "
                        "held?" % (gap, call))

    def test_two_sessions_in_parallel(self):
        # Two threads, one 1-thread session each over the shared model, while a third thread
        # runs Python. Interval timestamps taken in Python cannot prove overlap (a thread
        # waiting for the GIL looks busy too), so the watcher checks that no run, in either
        # thread, stops Python code for its duration.
        side = 250  # long runs: the bound below stays far above scheduler hiccups
        values = pattern(3 * side * side)
        barrier = threading.Barrier(3)
        durations = []
        errors = []
        state = {"run": True, "gap": 0.0}

        def work():
            try:
                with self.model.session(threads=1) as s:
                    s.features(values, shape=(1, 3, side, side))
                    barrier.wait()
                    for _ in range(4):
                        t0 = time.perf_counter()
                        s.features(values, shape=(1, 3, side, side))
                        durations.append(time.perf_counter() - t0)
            except Exception as e:  # reported below
                errors.append(e)

        def watch():
            barrier.wait()
            last = time.perf_counter()
            while state["run"]:
                now = time.perf_counter()
                state["gap"] = max(state["gap"], now - last)
                last = now

        workers = [threading.Thread(target=work) for _ in range(2)]
        watcher = threading.Thread(target=watch)
        for t in workers + [watcher]:
            t.start()
        for t in workers:
            t.join()
        state["run"] = False
        watcher.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(durations), 8)
        shortest = min(durations)
        self.assertLess(state["gap"], shortest / 2,
                        "Python stalled %.3f s while runs of %.3f s went on"
                        % (state["gap"], shortest))

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
