#!/usr/bin/env python3
"""Check the include graph of lib/ (and tools/inception/) against the layers.

Usage: check_includes.py SOURCE_ROOT      check a tree; exit 1 listing every violation
       check_includes.py --self-test      prove the checks fail on bad trees (made in a
                                          temporary directory), and pass on a good one

Python 3, standard library only (any python3; no third-party packages).

Rules (docs/layout.md):
  1. Every file under lib/ belongs to a layer folder. Top to bottom:
       lib/tasks -> lib/api -> lib/graph, lib/image -> lib/model -> lib/backends -> lib/common
     A file may include files of its own layer and of any layer below it, never above;
     lib/graph and lib/image are one level and neither includes the other.
  2. Public headers (include/, e.g. "inception/inception.h") may be included by anyone.
  3. tools/inception/ (the CLI) includes public headers and its own files only.
  4. No include cycle: between files, between modules (x.c and x.h of one folder are one
     module), or between folders (lib/backends/ref and lib/backends are two folders).
  5. Every include names a file that exists (a typo cannot hide an edge), except system
     headers (<...> that resolve nowhere in the tree) and headers generated from a .in file.
Both "..." and <...> includes are read; a quoted include is looked up beside the file
first, then in lib/ and include/, as the compiler does with the build's -I flags.
"""
import os
import re
import sys
import tempfile

LAYERS = {  # folder under lib/ -> level (higher includes lower)
    'tasks': 5,
    'api': 4,
    'graph': 3,
    'image': 3,
    'model': 2,
    'backends': 1,
    'common': 0,
}
SOURCES = ('.c', '.h')
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def scan(root):
    """Yield (path relative to root, list of (line number, quote, target))."""
    for top in ('lib', os.path.join('tools', 'inception')):
        base = os.path.join(root, top)
        for d, dirs, files in os.walk(base):
            dirs.sort()
            for f in sorted(files):
                if not f.endswith(SOURCES):
                    continue
                p = os.path.join(d, f)
                incs = []
                with open(p, encoding='utf-8', errors='replace') as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE_RE.match(line)
                        if m:
                            incs.append((n, m.group(1), m.group(2)))
                yield os.path.relpath(p, root).replace(os.sep, '/'), incs


def exists(root, rel):
    p = os.path.join(root, rel)
    return os.path.isfile(p) or os.path.isfile(p + '.in')


def resolve(root, src, quote, target):
    """The included file relative to root, or None for a system header."""
    here = os.path.dirname(src)
    cands = ([os.path.normpath(os.path.join(here, target))] if quote == '"' else [])
    cands += ['lib/' + target, 'include/' + target]
    for c in cands:
        c = c.replace(os.sep, '/')
        if exists(root, c):
            return c
    return None


def layer_of(rel):
    parts = rel.split('/')
    if parts[0] == 'include':
        return 'public'
    if parts[0] == 'tools':
        return 'tools'
    if parts[0] == 'lib' and len(parts) > 2 and parts[1] in LAYERS:
        return parts[1]
    return None


def find_cycle(edges):
    """One cycle of the directed graph {node: set(nodes)} as a list, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {}
    stack = []

    def visit(n):
        color[n] = GREY
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            c = color.get(m, WHITE)
            if c == GREY:
                return stack[stack.index(m):] + [m]
            if c == WHITE:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        color[n] = BLACK
        return None

    for n in sorted(edges):
        if color.get(n, WHITE) == WHITE:
            found = visit(n)
            if found:
                return found
    return None


def module_of(rel):
    return os.path.splitext(rel)[0]


def check(root):
    errors = []
    files = {}
    edges = []  # (src, dst) between files of the tree
    for src, incs in scan(root):
        files[src] = incs
        sl = layer_of(src)
        if sl is None:
            errors.append('%s: not inside a layer folder (lib/%s)' % (src, '|'.join(LAYERS)))
            continue
        for n, quote, target in incs:
            dst = resolve(root, src, quote, target)
            where = '%s:%d: #include %s%s%s' % (src, n, quote, target,
                                                '"' if quote == '"' else '>')
            if dst is None:
                if quote == '"':
                    errors.append('%s: no such file in the tree' % where)
                continue
            dl = layer_of(dst)
            if dl == 'public':
                continue
            if sl == 'tools':
                if os.path.dirname(dst) != os.path.dirname(src):
                    errors.append('%s: the CLI includes public headers and its own files '
                                  'only, not %s' % (where, dst))
                continue
            if dl is None or dl == 'tools':
                errors.append('%s: %s is not in a layer of lib/' % (where, dst))
                continue
            if dl != sl and LAYERS[dl] >= LAYERS[sl]:
                kind = 'sideways' if LAYERS[dl] == LAYERS[sl] else 'upward'
                errors.append('%s: %s include, lib/%s may not include lib/%s'
                              % (where, kind, sl, dl))
            edges.append((src, dst))
    for name, key in (('file', lambda p: p), ('module', module_of),
                      ('folder', os.path.dirname)):
        g = {}
        for a, b in edges:
            ka, kb = key(a), key(b)
            if ka != kb:
                g.setdefault(ka, set()).add(kb)
        cyc = find_cycle(g)
        if cyc:
            errors.append('include cycle between %ss: %s' % (name, ' -> '.join(cyc)))
    return errors, len(files), len(edges)


# --- self-test: the checks must fail on bad trees ------------------------------------

GOOD = {
    'include/inception/inception.h': '',
    'include/inception/version.h.in': '',
    'lib/common/common.h': '#include "inception/inception.h"\n#include <stdio.h>\n',
    'lib/common/alloc.c': '#include "common.h"\n',
    'lib/backends/registry.h': '#include "common/common.h"\n',
    'lib/backends/ref/ref.c': '#include "backends/registry.h"\n',
    'lib/model/model.h': '#include "common/common.h"\n#include "inception/version.h"\n',
    'lib/graph/net.h': '#include "model/model.h"\n',
    'lib/image/image.h': '#include "model/model.h"\n',
    'lib/image/image.c': '#include "image/image.h"\n',
    'lib/api/handles.h': '#include "graph/net.h"\n#include "image/image.h"\n',
    'lib/tasks/classify.c': '#include "api/handles.h"\n#include <inception/inception.h>\n',
    'tools/inception/cli.h': '#include <inception/inception.h>\n',
    'tools/inception/main.c': '#include "cli.h"\n',
}
BAD = [  # (what, files changed from GOOD, text the report must contain)
    ('upward include', {'lib/image/image.h': '#include "api/handles.h"\n'}, 'upward'),
    ('graph includes image', {'lib/graph/net.h': '#include "image/image.h"\n'}, 'sideways'),
    ('image includes graph', {'lib/image/image.c': '#include "graph/net.h"\n'}, 'sideways'),
    ('common includes model', {'lib/common/alloc.c': '#include "model/model.h"\n'}, 'upward'),
    ('angle-bracket upward include', {'lib/model/model.h': '#include <api/handles.h>\n'},
     'upward'),
    ('header cycle in a layer', {'lib/image/a.h': '#include "image/b.h"\n',
                                 'lib/image/b.h': '#include "image/a.h"\n'},
     'cycle between files'),
    ('module cycle (x.c includes y.h, y.c includes x.h)',
     {'lib/image/x.h': '', 'lib/image/x.c': '#include "image/y.h"\n',
      'lib/image/y.h': '', 'lib/image/y.c': '#include "image/x.h"\n'},
     'cycle between modules'),
    ('folder cycle (no file or module cycle)',
     {'lib/backends/a.c': '#include "backends/ref/r.h"\n', 'lib/backends/ref/r.h': '',
      'lib/backends/ref/s.c': '#include "backends/q.h"\n', 'lib/backends/q.h': ''},
     'cycle between folders'),
    ('file outside the layers', {'lib/extra/x.c': '#include "common/common.h"\n'},
     'not inside a layer'),
    ('missing include target', {'lib/api/handles.h': '#include "graph/nett.h"\n'},
     'no such file'),
    ('CLI reaching into lib/', {'tools/inception/main.c': '#include "api/handles.h"\n'},
     'the CLI includes'),
]


def write_tree(root, files):
    for rel, text in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as fh:
            fh.write(text)


def self_test():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, 'good')
        write_tree(good, GOOD)
        errs, _, _ = check(good)
        if errs:
            failures += 1
            print('FAIL - the good tree is rejected:\n  ' + '\n  '.join(errs))
        else:
            print('ok - the good tree passes')
        for i, (what, change, want) in enumerate(BAD):
            root = os.path.join(tmp, 'bad%d' % i)
            tree = dict(GOOD)
            tree.update(change)
            write_tree(root, tree)
            errs, _, _ = check(root)
            hit = [e for e in errs if want in e]
            if hit:
                print('ok - %s is caught: %s' % (what, hit[0]))
            else:
                failures += 1
                print('FAIL - %s is not caught (%s)' % (what, errs or 'no errors'))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 2 and argv[1] == '--self-test':
        return self_test()
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    errs, n_files, n_edges = check(argv[1])
    if n_files == 0:
        print('no sources found under %s/lib' % argv[1])
        return 1
    for e in errs:
        print(e)
    if errs:
        print('%d layering violation(s) in %d files' % (len(errs), n_files))
        return 1
    print('ok: %d files, %d includes inside the tree, every one down the layers, no cycle'
          % (n_files, n_edges))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
