#!/bin/sh
# checks: 5
# t5031-run-xattrs: a RUN that sets security.capability on a file (a static C program, busybox
# has no setcap) gives a layer whose tar entry carries SCHILY.xattr.security.capability with the
# same bytes; the other attributes it sets (user.*), overlayfs's own (trusted.overlay.*) and the
# host's never reach the layer.
. "$(dirname "$0")/lib.sh"
cc=${CC:-cc}
run_needs t5031 python3 "$cc"
busybox_base t5031
mkdir ctx
# plain: host attributes on a context file that COPY takes and the RUN changes (overlayfs copies a
# lower file's attributes up)
xattr_fixtures t5031 ctx
cat >ctx/Dockerfile <<'DF'
FROM base:1
COPY plain /plain
RUN mkdir -p /d/old && touch /d/old/f
RUN --mount=type=bind,target=/c cp /bin/busybox /ping && /c/setcap /ping && chmod 600 /plain && rm -rf /d && mkdir -p /d/new
DF
if $S build -q --network=none -t c:1 ctx >b.out 2>b.err; then ok t5031/build; else fail t5031/build "$(head -c 300 b.err)"; exit 0; fi
$S export c:1 "oci:$T/o" >/dev/null 2>&1
python3 - "$T/o" >x.out 2>x.err <<'PY'
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
t = tarfile.open(d + "/blobs/sha256/" + m["layers"][-1]["digest"][7:])
for i in t.getmembers():
    print("entry", i.name)
    for k, v in sorted(i.pax_headers.items()):
        if k.startswith("SCHILY.xattr."):
            print(i.name, k, v.encode("utf-8", "surrogateescape").hex())
PY
want='ping SCHILY.xattr.security.capability 0100000200040000000000000000000000000000'
grep -q "^$want\$" x.out && ok t5031/capability-kept || fail t5031/capability-kept "$(head -c 300 x.out) $(head -c 200 x.err)"
grep -q "user\.leak" x.out && fail t5031/user-attr-dropped "$(cat x.out)" || ok t5031/user-attr-dropped
grep -q "^entry plain$" x.out && ! grep -q "host" x.out && ok t5031/host-attr-dropped || fail t5031/host-attr-dropped "$(cat x.out)"
# the opaque directory (trusted.overlay.opaque in the upper) is a marker, never an attribute
grep -q "^entry d/.wh..wh..opq$" x.out && [ "$(grep -c SCHILY x.out)" -eq 1 ] && ok t5031/only-capability ||
	fail t5031/only-capability "$(cat x.out)"
