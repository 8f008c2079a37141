"""inception.Trainer: train on features, evaluate, checkpoint/resume, save and reload
(standard library only: features as array('f'))."""
import array
import os
import random
import tempfile
import unittest

import inception

from .support import MODEL_PATH, needs_model, shared_model


def batch(rng, n):
    feats, labels = array.array("f"), []
    for _ in range(n):
        y = rng.randrange(3)
        labels.append(y)
        feats.extend(rng.random() * 0.5 + (0.5 if j % 3 == y else 0.0) for j in range(2048))
    return feats, labels


@needs_model
class TrainerTest(unittest.TestCase):
    def test_train_evaluate_checkpoint_save(self):
        model = shared_model()
        rng = random.Random(0)
        settings = dict(labels=["a", "b", "c"], input_size=75, optimizer="sgd", lr=0.05, ema_decay=0)
        with inception.Trainer(model, **settings) as tr:
            for _ in range(15):
                loss = tr.train(*batch(rng, 16))
                self.assertGreater(loss, 0)
            feats, labels = batch(rng, 40)
            r = tr.evaluate(feats, labels)
            self.assertEqual(r["count"], 40)
            self.assertGreater(r["top1"], 0.9)
            self.assertEqual(len(r["confusion"]), 3)
            self.assertEqual(tr.steps_done, 15)
            self.assertEqual(tr.labels, ["a", "b", "c"])
            with self.assertRaises(inception.InvalidArgument):
                tr.train(feats[:2048], [5])
            with tempfile.TemporaryDirectory() as d:
                ck, out = os.path.join(d, "ck"), os.path.join(d, "head.safetensors")
                tr.checkpoint(ck)
                with inception.Trainer(model, **settings) as again:
                    again.resume(ck)
                    self.assertEqual(again.logits(feats[:2048]), tr.logits(feats[:2048]))
                tr.save(out)
                with inception.Model(out) as saved:
                    self.assertEqual(saved.classes, 3)
                    self.assertEqual(saved.label(1), "b")

    def test_scope_trains_blocks(self):
        model = shared_model()
        rng = random.Random(1)
        n = 4
        images = array.array("f", (rng.uniform(-1, 1) for _ in range(n * 75 * 75 * 3)))
        x = inception.Tensor.wrap(images, (n, 75, 75, 3), "nhwc")
        with inception.Trainer(model, classes=3, scope="Mixed_7c", dropout=0.0, ema_decay=0,
                               base_model=MODEL_PATH) as tr:
            before = tr.logits(x)
            self.assertGreater(tr.train(x, [0, 1, 2, 0]), 0)
            self.assertEqual(tr.steps_done, 1)
            self.assertGreater(tr.scope_memory, 0)
            self.assertGreater(tr.trainable, 6_000_000)  # Mixed_7c and the head
            self.assertNotEqual(tr.logits(x), before)
        with self.assertRaises(inception.NotFound):
            inception.Trainer(model, classes=3, scope="Mixed_9")
        # the aux head: off above Mixed_6e, an explicit weight there is an error
        with inception.Trainer(model, classes=3, scope="Mixed_7c", base_model=MODEL_PATH) as tr:
            self.assertEqual(tr.aux_active, 0)
            self.assertEqual(tr.aux_loss, 0)
        with self.assertRaises(inception.InvalidArgument):
            inception.Trainer(model, classes=3, scope="Mixed_7c", aux_weight=0.4, base_model=MODEL_PATH)
        with self.assertRaises(inception.InvalidArgument):
            inception.Trainer(model, classes=3, scope="Mixed_6e", aux_weight=-2.0, base_model=MODEL_PATH)
        with inception.Trainer(model, classes=3, scope="Mixed_6e", aux_weight=0.4, base_model=MODEL_PATH) as tr:
            self.assertEqual(tr.aux_active, 1)

    def test_bad_settings(self):
        with self.assertRaises(inception.InvalidArgument):
            inception.Trainer(shared_model(), classes=1)
        with self.assertRaises(inception.InvalidArgument):
            inception.Trainer(shared_model(), classes=3, no_such_setting=1)

    def test_head_init(self):
        with inception.Trainer(shared_model(), classes=3, head_init="linear") as tr:
            self.assertEqual(tr.steps_done, 0)
        with self.assertRaises(inception.InvalidArgument) as cm:
            inception.Trainer(shared_model(), classes=3, head_init="bogus")
        self.assertIn("TRAIN_HEAD_INIT must be torchvision or linear, got 'bogus'", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
