#!/usr/bin/env python3
"""Fold changes/<branch>.md entries (### Fixed / ### Added / ### Changed bullets) into the
first (unreleased) section of CHANGELOG.md, then remove the folded files. Any python3.
Used when branches are merged: each branch writes its own file, so CHANGELOG.md does not
conflict between them."""
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
files = sorted(sys.argv[1:]) or sorted(
    os.path.join(root, "changes", f) for f in os.listdir(os.path.join(root, "changes"))
    if f.endswith(".md"))
heads = ["Fixed", "Added", "Changed"]
add = {h: [] for h in heads}
for f in files:
    cur = None
    for line in open(f, encoding="utf-8").read().splitlines():
        m = re.match(r"^###\s+(\w+)", line)
        if m:
            cur = m.group(1) if m.group(1) in add else None
            if cur is None:
                sys.exit("%s: unknown heading %r" % (f, line))
            continue
        if cur and line.strip():
            add[cur].append(line)
cl = os.path.join(root, "CHANGELOG.md")
text = open(cl, encoding="utf-8").read()
start = text.index("\n## ")  # first release section (unreleased)
end = text.index("\n## ", start + 1)
section = text[start:end]
for h in heads:
    if not add[h]:
        continue
    m = re.search(r"\n### %s\n" % h, section)
    if not m:
        sys.exit("CHANGELOG.md: no ### %s in the first section" % h)
    nxt = section.find("\n### ", m.end() - 1)
    nxt = len(section) if nxt < 0 else nxt
    body = section[m.end():nxt].rstrip("\n")
    body = (body + "\n" if body else "") + "\n".join(add[h]) + "\n"
    section = section[:m.end()] + body + section[nxt:]
open(cl, "w", encoding="utf-8").write(text[:start] + section + text[end:])
for f in files:
    os.unlink(f)
