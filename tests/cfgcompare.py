#!/usr/bin/env python3
"""cfgcompare.py NAME WANT.json GOT.json [DOCKERFILE]

Compares the fields of two image configs (as printed by
`skopeo inspect --config --raw`): Env, Cmd, Entrypoint, WorkingDir, User,
ExposedPorts, Labels, Volumes, StopSignal, Healthcheck, Shell, OnBuild, and the
top-level author (MAINTAINER). Prints one "ok NAME/config/FIELD" or
"FAIL NAME/config/FIELD: want ... got ..." line per field.

Normalisation: an empty value ("", [], {}, null, a zero duration) is the same
as an absent one, because docker-format configs spell absent fields as empty
ones; the label io.buildah.version that buildah adds is dropped.

DOCKERFILE may hold lines that correct WANT where the reference builder
(buildah) differs from docker's documented behaviour:
    # expect-config FIELD JSON      (JSON null: the field must be absent)
Python standard library only.
"""
import json
import re
import sys

FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
          "Volumes", "StopSignal", "Healthcheck", "Shell", "OnBuild", "author"]


def empty(v):
    return v is None or v == "" or v == [] or v == {} or v == 0


def normalise(field, v):
    if field == "Labels" and isinstance(v, dict):
        v = {k: x for k, x in v.items() if k != "io.buildah.version"}
    if field == "Healthcheck" and isinstance(v, dict):
        v = {k: x for k, x in v.items() if not empty(x)}
    return None if empty(v) else v


def load(path):
    with open(path, encoding="utf-8") as f:
        img = json.load(f)
    cfg = dict(img.get("config") or {})
    cfg["author"] = img.get("author")
    return cfg


def expectations(dockerfile):
    exp = {}
    if not dockerfile:
        return exp
    with open(dockerfile, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*#\s*expect-config\s+(\w+)\s+(.*?)\s*$", line)
            if m:
                exp[m.group(1)] = json.loads(m.group(2))
    return exp


def show(v):
    return "(absent)" if v is None else json.dumps(v, sort_keys=True)


def main():
    if len(sys.argv) < 4:
        print("usage: cfgcompare.py NAME WANT.json GOT.json [DOCKERFILE]", file=sys.stderr)
        return 2
    name = sys.argv[1]
    want, got = load(sys.argv[2]), load(sys.argv[3])
    exp = expectations(sys.argv[4] if len(sys.argv) > 4 else None)
    for k in exp:
        if k not in FIELDS:
            print("FAIL %s/config: unknown field %s in an expect-config line" % (name, k))
            return 1
    failed = 0
    for field in FIELDS:
        w = normalise(field, exp[field] if field in exp else want.get(field))
        g = normalise(field, got.get(field))
        if w == g:
            print("ok %s/config/%s" % (name, field))
        else:
            failed += 1
            print("FAIL %s/config/%s:\n    want %s\n    got  %s" % (name, field, show(w), show(g)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
