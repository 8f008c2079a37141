"""Multi-crop classify, Ensemble and class activation maps (docs/paper.md) through the
Python binding. Needs INCEPTION_TEST_MODEL; runs on any Python 3.7+ (numpy optional)."""
import os
import unittest

import inception

from .support import MODEL_PATH, REPO, backend, needs_model, np

CAT = os.path.join(REPO, "tests", "image", "data", "skimage_chelsea_cat.png")


@needs_model
class PaperTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = inception.Model(MODEL_PATH, backend=backend())

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def test_crops_average_equals_crops_one_by_one(self):
        with self.model.session(threads=2) as s:
            got = s.classify(CAT, k=1000, crops=10)
            batch = inception.image_crops(self.model, CAT, 10)
            self.assertEqual(batch.shape[0], 10)
            mean = [0.0] * 1000
            rows = s.probabilities(batch)
            for r in rows:
                for j in range(1000):
                    mean[j] += float(r[j]) / 10
        self.assertEqual(len(got), 1000)
        worst = max(abs(p.probability - mean[p.index]) for p in got)
        self.assertLessEqual(worst, 1e-6)

    def test_bad_crops(self):
        with self.model.session() as s:
            with self.assertRaises(inception.InvalidArgument):
                s.classify(CAT, crops=7)
            with self.assertRaises(inception.InvalidArgument):
                s.classify(CAT, crops=10, average="median")

    def test_ensemble_of_one_equals_session(self):
        with self.model.session(threads=2) as s, \
                inception.Ensemble([self.model], threads=2) as e:
            a = s.classify(CAT, k=5)
            b = e.classify(CAT, k=5)
        self.assertEqual([p.index for p in a], [p.index for p in b])
        for x, y in zip(a, b):
            self.assertAlmostEqual(x.probability, y.probability, places=6)
            self.assertEqual(x.label, y.label)

    def test_ensemble_errors(self):
        with self.assertRaises(inception.InvalidArgument):
            inception.Ensemble([])
        with inception.Ensemble([self.model, self.model]) as e:
            with self.assertRaises(inception.IOFailure):
                e.classify("/nonexistent.jpg")

    def test_cam_mean_plus_bias_is_logit(self):
        # logit - mean(CAM) is the fc bias: the same for every image.
        if np is None:
            self.skipTest("numpy needed for the map arithmetic")
        jpg = os.path.join(REPO, "tests", "image", "data", "matplotlib_grace_hopper.jpg")
        biases = []
        with self.model.session(threads=2, outputs=["logits", "feature_map"]) as s:
            for photo in (CAT, jpg):
                out = s.run(self.model.preprocess(photo))
                self.assertEqual(out["feature_map"].shape, (1, 8, 8, 2048))
                cams = [s.cam(k) for k in (0, 5, 999)]
                self.assertEqual(cams[0].shape, (8, 8))
                biases.append([float(out["logits"][0][k]) - float(c.mean())
                               for k, c in zip((0, 5, 999), cams)])
            with self.assertRaises(inception.InvalidArgument):
                s.cam(10 ** 6)
        for a, b in zip(*biases):
            self.assertLessEqual(abs(a - b), 1e-4)

if __name__ == "__main__":
    unittest.main()
