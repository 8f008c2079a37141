"""Every public name has a docstring and the package ships its type hints. Any Python 3.7+."""
import inspect
import os
import typing
import unittest

import inception


def public_members(obj):
    for name, value in vars(obj).items():
        if name.startswith("_"):
            continue  # __init__ is described by its class's docstring
        yield name, value


class TestDocs(unittest.TestCase):
    def test_every_public_name_documented(self):
        missing = []
        for name in inception.__all__:
            obj = getattr(inception, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants: documented in the module docstring
            if not (obj.__doc__ or "").strip():
                missing.append(name)
            if not inspect.isclass(obj):
                continue
            for attr, value in public_members(obj):
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if isinstance(value, property) or inspect.isfunction(value):
                    if not (value.__doc__ or "").strip():
                        missing.append("%s.%s" % (name, attr))
        self.assertEqual(missing, [])
        self.assertTrue(inception.__doc__.strip())

    def test_py_typed_shipped(self):
        here = os.path.dirname(inception.__file__)
        self.assertTrue(os.path.isfile(os.path.join(here, "py.typed")))

    def test_hints_resolve(self):
        # The annotations name real types (they are strings until asked for).
        for cls in (inception.Model, inception.Session, inception.Image, inception.Tensor):
            for attr, value in public_members(cls):
                if inspect.isfunction(value):
                    typing.get_type_hints(value)
        for fn in (inception.version, inception.backends, inception.load_library):
            typing.get_type_hints(fn)
        hints = typing.get_type_hints(inception.Session.classify)
        self.assertIn("return", hints)
        self.assertIn("k", hints)


if __name__ == "__main__":
    unittest.main()
