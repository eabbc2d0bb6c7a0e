#!/bin/sh
# checks: 2
# t5096-run-umask: a RUN's files do not depend on the caller's umask: the sandbox
# runs the command with umask 022 as docker does (and makes WORKDIR with it), so
# the layer is the same under umask 077 and 022.
. "$(dirname "$0")/lib.sh"
run_needs t5096
busybox_base t5096
mkdir ctx
printf 'FROM base:1\nWORKDIR /w/x\nRUN echo x >f && mkdir d && stat -c %%a f d /w/x >/modes\n' >ctx/Dockerfile
a=$(umask 077 && $S build -q --no-cache --network=none ctx 2>a.err)
b=$(umask 022 && $S build -q --no-cache --network=none ctx 2>b.err)
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok t5096/same-image; else fail t5096/same-image "umask 077: [$a] $(head -c 200 a.err); umask 022: [$b] $(head -c 200 b.err)"; fi
rm -rf oci && $S export "$a" "oci:$T/oci" >/dev/null 2>&1
got=$(python3 - "$T/oci" 2>/dev/null <<'PY'
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
for l in m["layers"][1:]:
    t = tarfile.open(d + "/blobs/sha256/" + l["digest"][7:])
    for i in t.getmembers():
        if i.name == "modes":
            print(" ".join(t.extractfile(i).read().decode().split()))
PY
)
[ "$got" = "644 755 755" ] && ok t5096/modes-022 || fail t5096/modes-022 "[$got] want [644 755 755]"
