#!/bin/sh
# checks: 11
# t8001: the layer's gzip is deflated in 128 KiB blocks in parallel (the pigz scheme: each
# block raw-deflated at level 6 with the 32 KiB before it as dictionary, sync-flushed, one gzip
# member, CRC combined): the blob's bytes are the same with 1, 2 and 8 threads and on one CPU
# (taskset), are a valid gzip whose content is the diff_id, and are exactly what an independent
# implementation of the scheme (Python's zlib) makes of the tar.
. "$(dirname "$0")/lib.sh"
need python3 gzip taskset || { skip t8001 "needs python3, gzip and taskset"; exit 0; }
cd "$T" || exit 1
mkdir big small
# several blocks of text and of incompressible bytes, and a tar length that is no multiple of the block
python3 - big <<'PY'
import os, random, sys
r = random.Random(8001)
words = [b"layer", b"strata", b"deflate", b"block", b"/usr/lib/", b"\n", b"0644"]
for i in range(6):
    with open(os.path.join(sys.argv[1], "t%d" % i), "wb") as f:
        f.write(b" ".join(r.choice(words) for _ in range(40000 + 7 * i)))
with open(os.path.join(sys.argv[1], "rand"), "wb") as f:
    f.write(bytes(r.getrandbits(8) for _ in range(300001)))
PY
printf 'FROM scratch\nCOPY . /x\n' >big/Dockerfile
echo tiny >small/f
printf 'FROM scratch\nCOPY f /f\n' >small/Dockerfile

# blob CTX [PREFIX...]: build CTX (under the command PREFIX) into the layout $T/o; print the
# path of its one layer blob and the config's diff_id of it
blob() {
	ctx=$1
	shift
	rm -rf "$T/o"
	"$@" $STRATA build --no-cache -q -o "oci:$T/o:x" "$ctx" >/dev/null 2>"$T/err" || return 1
	python3 - "$T/o" <<'PY'
import json, sys
d = sys.argv[1]
def blob(dg): return d + "/blobs/sha256/" + dg.split(":")[1]
m = json.load(open(blob(json.load(open(d + "/index.json"))["manifests"][0]["digest"])))
c = json.load(open(blob(m["config"]["digest"])))
print(blob(m["layers"][0]["digest"]), c["rootfs"]["diff_ids"][0])
PY
}

for ctx in big small; do
	for t in 1 2 8; do
		set -- $(blob $ctx env STRATA_LAYER_THREADS=$t) && cp "$1" "$T/$ctx.$t" && diff_id=$2 || : >"$T/$ctx.$t"
	done
	set -- $(blob $ctx taskset -c 0 env -u STRATA_LAYER_THREADS) && cp "$1" "$T/$ctx.one-cpu" || : >"$T/$ctx.one-cpu"
	if [ -s "$T/$ctx.1" ] && cmp -s "$T/$ctx.1" "$T/$ctx.2" && cmp -s "$T/$ctx.1" "$T/$ctx.8"; then
		ok "$ctx-threads-1-2-8"
	else
		fail "$ctx-threads-1-2-8" "$(sha256sum "$T/$ctx".[128] | cut -c1-16 | tr '\n' ' ') $(cat "$T/err")"
	fi
	[ -s "$T/$ctx.1" ] && cmp -s "$T/$ctx.1" "$T/$ctx.one-cpu" && ok "$ctx-one-cpu" ||
		fail "$ctx-one-cpu" "the blob under taskset -c 0 differs $(cat "$T/err")"
	got=sha256:$(gzip -dc <"$T/$ctx.1" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$diff_id" ] && ok "$ctx-diff-id" || fail "$ctx-diff-id" "content $got, diff_id $diff_id"
	gzip -t <"$T/$ctx.1" 2>"$T/err" && ok "$ctx-gzip-valid" || fail "$ctx-gzip-valid" "$(cat "$T/err")"
	# the scheme, written again: the tar (gunzipped) cut into blocks and deflated one by one
	if python3 - "$T/$ctx.1" <<'PY' 2>"$T/err"
import gzip, struct, sys, zlib
blob = open(sys.argv[1], "rb").read()
tar = gzip.decompress(blob)
B, D = 128 << 10, 32 << 10
out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
blocks = [tar[i:i + B] for i in range(0, len(tar), B)] or [b""]
for i, blk in enumerate(blocks):
    if i:
        z = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, tar[i * B - D:i * B])
    else:
        z = zlib.compressobj(6, zlib.DEFLATED, -15, 8)
    out += z.compress(blk)
    out += z.flush(zlib.Z_FINISH if i == len(blocks) - 1 else zlib.Z_SYNC_FLUSH)
out += struct.pack("<II", zlib.crc32(tar), len(tar) & 0xffffffff)
if bytes(out) != blob:
    sys.exit("blob of %d bytes is not the scheme's %d bytes" % (len(blob), len(out)))
PY
	then ok "$ctx-pigz-scheme"; else fail "$ctx-pigz-scheme" "$(cat "$T/err")"; fi
done
# the big layer spans several blocks (else the threads were never tested)
n=$(gzip -dc <"$T/big.1" | wc -c)
[ "$n" -gt $((4 * 131072)) ] && ok big-several-blocks || fail big-several-blocks "tar of $n bytes"
