#!/usr/bin/env python3
"""fscompare.py NAME WANT_ROOT GOT_ROOT [DOCKERFILE]

Compares two unpacked root filesystems: the set of paths, and for each path its
type, permission bits (with setuid/setgid/sticky), uid, gid, content hash,
symlink target, device numbers, hard-link group and security.capability.
mtimes, atimes and directory sizes are ignored.

Prints "ok NAME/fs" or "FAIL NAME/fs: ..." followed by an indented diff.

DOCKERFILE may hold lines that correct WANT where the reference builder
(buildah) differs from docker's documented behaviour:
    # expect-fs PATH absent                  PATH must not exist
    # expect-fs PATH field=value ...         PATH must have these fields
(fields: type mode uid gid sha256 target dev link; field=- means absent). Python standard library only.
"""
import hashlib
import os
import re
import stat
import sys

MAX_LINES = 40


def describe(root, rel, st, links):
    p = os.path.join(root, rel.lstrip("/"))
    m = st.st_mode
    d = {"mode": "%04o" % stat.S_IMODE(m), "uid": str(st.st_uid), "gid": str(st.st_gid)}
    if stat.S_ISDIR(m):
        d["type"] = "dir"
    elif stat.S_ISREG(m):
        d["type"] = "file"
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                h.update(chunk)
        d["sha256"] = h.hexdigest()[:16]
        d["size"] = str(st.st_size)
        if st.st_nlink > 1:
            d["link"] = links[(st.st_dev, st.st_ino)]
    elif stat.S_ISLNK(m):
        d["type"] = "symlink"
        d["target"] = os.readlink(p)
        del d["mode"]  # symlink modes are not meaningful on Linux
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        d["type"] = "chr" if stat.S_ISCHR(m) else "blk"
        d["dev"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    elif stat.S_ISFIFO(m):
        d["type"] = "fifo"
    elif stat.S_ISSOCK(m):
        d["type"] = "socket"
    else:
        d["type"] = "unknown"
    if not stat.S_ISLNK(m):
        try:
            cap = os.getxattr(p, "security.capability", follow_symlinks=False)
            d["cap"] = cap.hex()
        except OSError:
            pass
    return d


def scan(root):
    entries = {}
    stats = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in dirnames + sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = "/" + os.path.relpath(full, root)
            stats[rel] = os.lstat(full)
    stats["/"] = os.lstat(root)
    # a hard-link group is named by its first path in sorted order
    links = {}
    for rel in sorted(stats):
        st = stats[rel]
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            links.setdefault((st.st_dev, st.st_ino), rel)
    for rel, st in stats.items():
        entries[rel] = describe(root, rel, st, links)
    return entries


def expectations(dockerfile):
    exp = []
    if not dockerfile:
        return exp
    with open(dockerfile, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*#\s*expect-fs\s+(\S+)\s+(.*)$", line)
            if m:
                exp.append((m.group(1), m.group(2).split()))
    return exp


def fmt(d):
    order = ["type", "mode", "uid", "gid", "size", "sha256", "target", "dev", "link", "cap"]
    return " ".join("%s=%s" % (k, d[k]) for k in order if k in d)


def main():
    if len(sys.argv) < 4:
        print("usage: fscompare.py NAME WANT_ROOT GOT_ROOT [DOCKERFILE]", file=sys.stderr)
        return 2
    name, want_root, got_root = sys.argv[1:4]
    dockerfile = sys.argv[4] if len(sys.argv) > 4 else None
    want = scan(want_root)
    got = scan(got_root)
    for path, items in expectations(dockerfile):
        if items == ["absent"]:
            want.pop(path, None)
            continue
        d = dict(want.get(path, {}))
        for it in items:
            k, _, v = it.partition("=")
            if v == "-":
                d.pop(k, None)  # field=- : the field is absent (link=-: not a hard link)
            else:
                d[k] = v
        want[path] = d
    lines = []
    for path in sorted(set(want) | set(got)):
        w, g = want.get(path), got.get(path)
        if w is None:
            lines.append("+ %s  %s   (only in got)" % (path, fmt(g)))
        elif g is None:
            lines.append("- %s  %s   (missing)" % (path, fmt(w)))
        else:
            bad = sorted(k for k in set(w) | set(g) if w.get(k) != g.get(k))
            if bad:
                lines.append("~ %s  want %s" % (path, " ".join("%s=%s" % (k, w.get(k, "-")) for k in bad)))
                lines.append("  %s   got %s" % (" " * len(path), " ".join("%s=%s" % (k, g.get(k, "-")) for k in bad)))
    if not lines:
        print("ok %s/fs" % name)
        return 0
    print("FAIL %s/fs: %d difference(s) (- want, + got)" % (name, sum(1 for l in lines if not l.startswith("  "))))
    for l in lines[:MAX_LINES]:
        print("    " + l)
    if len(lines) > MAX_LINES:
        print("    ... %d more lines" % (len(lines) - MAX_LINES))
    return 1


if __name__ == "__main__":
    sys.exit(main())
