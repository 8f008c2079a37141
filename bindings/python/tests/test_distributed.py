"""inception.distributed: shards, resume, bad files, and a LocalCluster of 2 worker processes.

Needs numpy and Dask's distributed (Debian: python3-distributed); skipped without them.
"""
import glob
import json
import os
import shutil
import signal
import tempfile
import unittest

from . import support
from .support import needs_model, np

try:
    import distributed
    from distributed import Client, LocalCluster
except ImportError:
    distributed = None

if np is not None:
    import inception.distributed as idist

needs_dask = unittest.skipUnless(distributed is not None and np is not None,
                                 "needs numpy and Dask distributed (python3-distributed)")


def corpus(tmp):
    """The bundled photos, some generated PNGs of other sizes, and two bad files."""
    photos = sorted(glob.glob(os.path.join(support.REPO, "tests", "image", "data", "*.jpg")) +
                    glob.glob(os.path.join(support.REPO, "tests", "image", "data", "*.png")))
    paths = []
    for i, (w, h) in enumerate([(80, 80), (120, 90), (300, 77), (100, 260)]):
        p = os.path.join(tmp, "gen%d.png" % i)
        with open(p, "wb") as f:
            f.write(support.png_bytes(w, h, seed=i))
        paths.append(p)
    bad = os.path.join(tmp, "truncated.jpg")
    with open(photos[0], "rb") as f, open(bad, "wb") as g:
        g.write(f.read(600))
    items = []
    for k in range(2):
        items += photos + paths
    items.insert(5, bad)
    items.insert(9, os.path.join(tmp, "missing.png"))
    return items, {bad, os.path.join(tmp, "missing.png")}


def reference(model, paths, bad):
    """Features from one plain session, one image at a time (NaN for the bad ones)."""
    rows = []
    with model.session(threads=1) as s:
        for p in paths:
            if p in bad:
                rows.append(np.full(model.feature_size, np.nan, dtype=np.float32))
            else:
                rows.append(np.asarray(s.embed([p]), dtype=np.float32)[0])
    return np.stack(rows)


@needs_dask
@needs_model
class InProcess(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.paths, self.bad = corpus(self.tmp)
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_embed_equals_plain_session_and_resumes(self):
        seen = []
        s = idist.embed(self.paths, support.MODEL_PATH, out=self.out, task_size=5, batch_size=3,
                        threads=1, model_options={"backend": support.backend()},
                        progress=lambda d, n: seen.append((d, n)))
        n = len(self.paths)
        self.assertEqual((s["images"], s["ok"], s["errors"], s["skipped_shards"]),
                         (n, n - 2, 2, 0))
        self.assertEqual(seen[-1], (n, n))
        feats, index = idist.load(self.out)
        self.assertEqual([r["path"] for r in index], self.paths)
        self.assertEqual([r["i"] for r in index], list(range(n)))
        for r in index:
            self.assertEqual(r["status"] == "error", r["path"] in self.bad, r)
            if r["status"] == "error":
                self.assertTrue(r["error"])
        self.assertIn("FileNotFoundError", index[9]["error"])
        ref = reference(support.shared_model(), self.paths, self.bad)
        np.testing.assert_array_equal(feats, ref)  # bit for bit, NaN rows included
        with open(os.path.join(self.out, "manifest.json")) as f:
            m = json.load(f)
        self.assertEqual((m["complete"], m["inputs"], m["ok"], m["errors"], m["shards"]),
                         (True, n, n - 2, 2, -(-n // 5)))
        self.assertEqual(m["model"]["crc32"], support.shared_model().crc32)
        # Resume: a removed shard is the only one redone.
        victim = idist.shard_name(2, m["shards"])
        os.unlink(os.path.join(self.out, victim + ".jsonl"))
        s = idist.embed(self.paths, support.MODEL_PATH, out=self.out, task_size=5, batch_size=3,
                        threads=1, model_options={"backend": support.backend()})
        self.assertEqual(s["skipped_shards"], m["shards"] - 1)
        feats2, _ = idist.load(self.out)
        np.testing.assert_array_equal(feats2, ref)

    def test_other_job_in_same_dir_refused(self):
        idist.embed(self.paths[:4], support.MODEL_PATH, out=self.out, task_size=2, threads=1)
        with self.assertRaises(idist.InvalidArgument):
            idist.embed(self.paths[:5], support.MODEL_PATH, out=self.out, task_size=2,
                        threads=1)
        s = idist.embed(self.paths[:5], support.MODEL_PATH, out=self.out, task_size=2,
                        threads=1, overwrite=True)
        self.assertEqual((s["images"], s["skipped_shards"]), (5, 0))
        self.assertEqual(len(idist.load(self.out)[1]), 5)

    def test_partial_load(self):
        idist.embed(self.paths[:6], support.MODEL_PATH, out=self.out, task_size=2, threads=1)
        os.unlink(os.path.join(self.out, idist.shard_name(1, 3) + ".jsonl"))
        with self.assertRaises(idist.InvalidArgument) as cm:
            idist.load(self.out)
        self.assertIn("shard-00001-of-00003", str(cm.exception))
        feats, index = idist.load(self.out, allow_partial=True)
        self.assertEqual([r["i"] for r in index], [0, 1, 4, 5])
        self.assertEqual(feats.shape[0], 4)

    def test_bad_arguments(self):
        for kw in ({"task_size": 0}, {"batch_size": 0}):
            with self.assertRaises(idist.InvalidArgument):
                idist.embed(self.paths[:2], support.MODEL_PATH, out=self.out, **kw)
        with self.assertRaises(idist.InvalidArgument):
            idist.embed(self.paths[:2], support.MODEL_PATH, out=None)
        with self.assertRaises(idist.InvalidArgument):
            idist.classify(self.paths[:2], support.MODEL_PATH, out=self.out, k=0)
        with self.assertRaises(idist.InvalidArgument):
            idist.load(self.tmp)  # no shards
        with self.assertRaises(idist.InvalidArgument):
            idist.shard_range(3, 3, 10)
        self.assertEqual([idist.shard_range(i, 3, 10) for i in range(3)],
                         [(0, 3), (3, 6), (6, 10)])
        # A NUL in a path is an error for that image, never a truncated path.
        s = idist.embed([self.paths[0] + "\0junk"], support.MODEL_PATH, out=self.out,
                        threads=1)
        self.assertEqual(s["errors"], 1)


CLI = os.environ.get("INCEPTION_TEST_CLI", "")


@needs_dask
@needs_model
@unittest.skipUnless(CLI and os.path.exists(CLI), "set INCEPTION_TEST_CLI to the inception command")
class CliShards(unittest.TestCase):
    """`inception features --shard I/N` writes shards that load() reads like a Dask job's."""

    def test_cli_shards_equal_in_process(self):
        import subprocess
        tmp = tempfile.mkdtemp()
        try:
            paths, bad = corpus(tmp)
            listfile = os.path.join(tmp, "list.txt")
            with open(listfile, "w") as f:
                f.write("\n".join(paths) + "\n")
            out = os.path.join(tmp, "cli")
            codes = []
            for i in range(3):
                r = subprocess.run([CLI, "features", "--model", support.MODEL_PATH, "--threads",
                                    "1", "--backend", support.backend(), "--files-from",
                                    listfile, "--shard", "%d/3" % i, "-o", out, "-q"],
                                   capture_output=True)
                codes.append(r.returncode)
            self.assertIn(1, codes)  # the shards holding the bad files say so
            self.assertTrue(all(c in (0, 1) for c in codes), codes)
            feats, index = idist.load(out)
            self.assertEqual([r["path"] for r in index], paths)
            np.testing.assert_array_equal(feats, reference(support.shared_model(), paths, bad))
            ours = os.path.join(tmp, "py")
            idist.embed(paths, support.MODEL_PATH, out=ours, task_size=len(paths), threads=1,
                        model_options={"backend": support.backend()})
            _, pyindex = idist.load(ours)
            for a, b in zip(index, pyindex):
                self.assertEqual((a["i"], a["path"], a["sha256"], a["status"]),
                                 (b["i"], b["path"], b["sha256"], b["status"]))
            r = subprocess.run([CLI, "features", "--model", support.MODEL_PATH, "--shard", "3/3",
                                "-o", out, paths[0]], capture_output=True)
            self.assertEqual(r.returncode, 2)  # I must be below N
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@needs_dask
@needs_model
class OnLocalCluster(unittest.TestCase):
    """Two worker processes with one thread each, as the issue asks."""

    @classmethod
    def setUpClass(cls):
        import dask
        # The documented setting, so a key Dask renames or drops shows up here. Held for the
        # class's lifetime: a worker the kill test replaces starts under it too.
        cls.quiet = dask.config.set(idist.QUIET_CONFIG)
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=50)
        cls.client = Client(cls.cluster)
        cls.tmp = tempfile.mkdtemp()
        cls.paths, cls.bad = corpus(cls.tmp)
        cls.ref = reference(support.shared_model(), cls.paths, cls.bad)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()
        cls.quiet.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_quiet_config_reaches_the_workers(self):
        def settings(dask_worker):
            import dask
            return ("profile" in dask_worker.periodic_callbacks,
                    [dask.config.get(k) for k in sorted(idist.QUIET_CONFIG)])
        want = [idist.QUIET_CONFIG[k] for k in sorted(idist.QUIET_CONFIG)]
        for profiling, values in self.client.run(settings).values():
            self.assertFalse(profiling)
            self.assertEqual(values, want)

    def test_embed_bit_identical_to_one_process(self):
        out = os.path.join(self.tmp, "emb")
        s = idist.embed(self.paths, support.MODEL_PATH, self.client, out=out, task_size=4,
                        model_options={"backend": support.backend()})
        self.assertEqual(s["errors"], 2)
        feats, index = idist.load(out)
        np.testing.assert_array_equal(feats, self.ref)
        self.assertEqual([r["path"] for r in index], self.paths)

    def test_classify_matches_session(self):
        out = os.path.join(self.tmp, "cls")
        idist.classify(self.paths, support.MODEL_PATH, self.client, out=out, k=3,
                       task_size=6, model_options={"backend": support.backend()})
        feats, index = idist.load(out)
        self.assertIsNone(feats)
        with support.shared_model().session(threads=1) as s:
            for r in index:
                if r["path"] in self.bad:
                    self.assertEqual(r["status"], "error")
                    continue
                want = s.classify_batch([r["path"]], k=3)[0]
                self.assertEqual([t["class"] for t in r["top"]], [p.index for p in want])
                for t, p in zip(r["top"], want):
                    self.assertEqual(t["probability"], p.probability)

    def test_killed_worker_loses_nothing(self):
        out = os.path.join(self.tmp, "killed")
        pids = self.client.run(os.getpid)
        state = {"killed": False}

        def kill_one(done, total):
            # After the first shard is written, kill a worker process outright.
            if done and not state["killed"]:
                state["killed"] = True
                os.kill(next(iter(pids.values())), signal.SIGKILL)

        try:
            idist.embed(self.paths, support.MODEL_PATH, self.client, out=out, task_size=2,
                        progress=kill_one, model_options={"backend": support.backend()})
        except Exception:
            pass  # the run may fail or finish; what matters is the next run
        self.assertTrue(state["killed"])
        self.client.wait_for_workers(2, timeout=120)
        s = idist.embed(self.paths, support.MODEL_PATH, self.client, out=out, task_size=2,
                        model_options={"backend": support.backend()})
        self.assertEqual(s["images"], len(self.paths))
        feats, index = idist.load(out)
        np.testing.assert_array_equal(feats, self.ref)
        with open(os.path.join(out, "manifest.json")) as f:
            m = json.load(f)
        self.assertTrue(m["complete"])
        self.assertEqual(m["ok"] + m["errors"], len(self.paths))


if __name__ == "__main__":
    unittest.main()
