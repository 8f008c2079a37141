"""A Python user's program (any Python 3.7+): prints "top1 CLASS PROBABILITY", and on
stderr which library file was loaded. Usage: consumer.py MODEL IMAGE"""
import sys

import inception
from inception import _native

with inception.Model(sys.argv[1]) as model, model.session() as session:
    best = session.classify(sys.argv[2], k=1)[0]
    print("top1 %d %.4f" % (best.index, best.probability))
print("library", _native.lib()._name, file=sys.stderr)
