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
cat >setcap.c <<'C'
#include <stdio.h>
#include <sys/xattr.h>
/* setcap cap_net_bind_service+ep FILE, and a user.* attribute on it */
int main(int argc, char **argv)
{
	static const unsigned char cap[20] = {0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0};
	for (int i = 1; i < argc; i++)
		if (setxattr(argv[i], "security.capability", cap, sizeof cap, 0) < 0 ||
		    setxattr(argv[i], "user.leak", "x", 1, 0) < 0) {
			perror(argv[i]);
			return 1;
		}
	return 0;
}
C
if ! "$cc" -static -O2 -o ctx/setcap setcap.c 2>cc.err; then skip t5031 "no static C library: $(head -c 200 cc.err)"; exit 0; fi
# host attributes on a context file that COPY takes and the RUN changes (overlayfs copies a
# lower file's attributes up)
echo data >ctx/plain
python3 -c 'import os,sys; [os.setxattr(sys.argv[1], k, b"h") for k in ("user.host", "trusted.host")]' ctx/plain ||
	{ fail t5031/setup "no extended attributes on $T"; exit 0; }
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
