#!/bin/sh
# checks: 21
# t8020: strata export and save --compression gzip|zstd|none and --compression-level: the layers
# come out in the method asked for (recompressed from the stored gzip, or kept as stored when
# already in it and no level is asked), under its OCI media type; the output validates
# (skopeo inspect; oci-image-tool validate and umoci unpack for gzip and none, which they know;
# every layer decompresses to its diff_id); each choice gives the same digests again, with 1 or
# more threads and from another store; a zstd export imported and exported as gzip gives back the
# build's own blobs; outputs without compressed layers and bad values are refused before anything
# is written.
. "$(dirname "$0")/lib.sh"
need python3 zstd skopeo || { skip t8020 "needs python3, zstd and skopeo"; exit 0; }
cd "$T" || exit 1
mkdir ctx
word_files ctx 8020 3 150000 layer strata export zstd /usr/lib/ '\n' 0644
printf 'FROM scratch\nCOPY t0 /a/t0\nCOPY t1 t2 /b/\n' >ctx/Dockerfile
$STRATA build -q -t img ctx >/dev/null 2>"$T/err" || { fail build "$(cat "$T/err")"; exit 0; }
$STRATA export img "oci:$T/plain:x" 2>"$T/err" || fail export-plain "$(cat "$T/err")"

# layers DIR: the manifest digest, then each layer's media type and blob path, one a line, after
# checking that every layer decompresses to the config's diff_id (a line "bad ..." when not)
layers() {
	python3 - "$1" <<'PY'
import gzip, hashlib, json, subprocess, sys
d = sys.argv[1]
def blob(dg): return d + "/blobs/sha256/" + dg.split(":")[1]
md = json.load(open(d + "/index.json"))["manifests"][0]["digest"]
m = json.load(open(blob(md)))
c = json.load(open(blob(m["config"]["digest"])))
print(md)
for l, diff_id in zip(m["layers"], c["rootfs"]["diff_ids"]):
    raw = open(blob(l["digest"]), "rb").read()
    mt = l["mediaType"]
    tar = gzip.decompress(raw) if mt.endswith("+gzip") else \
        subprocess.run(["zstd", "-dc"], input=raw, capture_output=True).stdout if mt.endswith("+zstd") else raw
    if "sha256:" + hashlib.sha256(tar).hexdigest() != diff_id or hashlib.sha256(raw).hexdigest() != l["digest"][7:]:
        print("bad", l["digest"])
    print(mt, blob(l["digest"]))
PY
}
layers "$T/plain" >"$T/plain.l"

for c in gzip-9 zstd none; do
	method=${c%-*}
	level=
	[ "$c" = gzip-9 ] && level="--compression-level 9"
	mt=application/vnd.oci.image.layer.v1.tar
	[ "$method" = none ] || mt=$mt+$method
	$STRATA export --compression "$method" $level img "oci:$T/$c:x" 2>"$T/err" && layers "$T/$c" >"$T/$c.l" 2>>"$T/err" ||
		: >"$T/$c.l"
	if [ "$(grep -c "^$mt " "$T/$c.l")" = 2 ] && ! grep -q '^bad' "$T/$c.l" &&
		[ "$(head -1 "$T/$c.l")" != "$(head -1 "$T/plain.l")" ]; then
		ok "$c-layers"
	else
		fail "$c-layers" "$(cat "$T/$c.l" "$T/err")"
	fi
	check "$c-skopeo" skopeo inspect "oci:$T/$c:x"
	# the same choice again, on one thread, from a store that has never seen the recompressed blobs
	rm -rf "$T/store2"
	env STRATA_STORE="$T/store2" $STRATA import "oci:$T/plain:x" img >/dev/null 2>"$T/err" &&
		env STRATA_STORE="$T/store2" STRATA_LAYER_THREADS=1 $STRATA export --compression "$method" $level img \
			"oci:$T/$c-again:x" 2>>"$T/err" && layers "$T/$c-again" >"$T/$c-again.l" || : >"$T/$c-again.l"
	[ -s "$T/$c.l" ] && [ "$(head -1 "$T/$c.l")" = "$(head -1 "$T/$c-again.l")" ] && ok "$c-stable" ||
		fail "$c-stable" "$(head -1 "$T/$c.l") then $(head -1 "$T/$c-again.l") $(cat "$T/err")"
done
# oci-image-tool and umoci know gzip'd and plain layers (not zstd's media type)
for c in gzip-9 none; do
	if need oci-image-tool; then
		check "$c-oci-image-tool" oci-image-tool validate --type image --ref name=x "$T/$c"
	else
		skip "$c-oci-image-tool" "needs oci-image-tool"
	fi
	if need umoci; then
		umoci unpack --rootless --image "$T/$c:x" "$T/bundle-$c" >/dev/null 2>"$T/err" &&
			cmp -s "$T/bundle-$c/rootfs/b/t2" ctx/t2 && ok "$c-umoci-unpack" || fail "$c-umoci-unpack" "$(tail -c 300 "$T/err")"
	else
		skip "$c-umoci-unpack" "needs umoci"
	fi
done

# gzip without a level keeps the stored gzip layers: the image as it is
$STRATA export --compression gzip img "oci:$T/gzip:x" 2>"$T/err" && layers "$T/gzip" >"$T/gzip.l" || : >"$T/gzip.l"
[ -s "$T/gzip.l" ] && [ "$(sed 's,.*/,,' "$T/gzip.l")" = "$(sed 's,.*/,,' "$T/plain.l")" ] && ok gzip-kept || fail gzip-kept "$(cat "$T/gzip.l" "$T/err")"
# zstd there and gzip back (in another store) is the build's own gzip, byte for byte
rm -rf "$T/store3"
env STRATA_STORE="$T/store3" $STRATA import "oci:$T/zstd:x" zimg >/dev/null 2>"$T/err" &&
	env STRATA_STORE="$T/store3" $STRATA export --compression gzip zimg "oci:$T/back:x" 2>>"$T/err" &&
	layers "$T/back" >"$T/back.l" || : >"$T/back.l"
[ -s "$T/back.l" ] && [ "$(sed 1d "$T/back.l" | sed 's,.*/,,')" = "$(sed 1d "$T/plain.l" | sed 's,.*/,,')" ] &&
	ok zstd-back-to-gzip || fail zstd-back-to-gzip "$(cat "$T/back.l" "$T/plain.l" "$T/err")"
# save writes an oci-archive the same way
$STRATA save --format oci-archive --compression zstd -o "$T/s.tar" img 2>"$T/err" &&
	skopeo inspect "oci-archive:$T/s.tar" >"$T/s.json" 2>>"$T/err" &&
	[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Digest"])' "$T/s.json")" = "$(head -1 "$T/zstd.l")" ] &&
	ok save-oci-archive-zstd || fail save-oci-archive-zstd "$(cat "$T/err")"

check_err docker-archive-refused "strata: --compression applies to oci: and oci-archive: outputs, not to docker-archive" \
	$STRATA export --compression zstd img "docker-archive:$T/d.tar"
check_err save-docker-refused "strata: --compression applies to oci: and oci-archive: outputs, not to docker-archive" \
	$STRATA save --compression zstd -o "$T/d2.tar" img
check_err none-level-refused "strata: --compression-level 3: none takes no level" \
	$STRATA export --compression none --compression-level 3 img "oci:$T/bad:x"
check_err bad-method "strata: --compression lz4: want gzip, zstd or none" $STRATA export --compression lz4 img "oci:$T/bad:x"
[ ! -e "$T/d.tar" ] && [ ! -e "$T/d2.tar" ] && [ ! -e "$T/bad" ] && ok refused-writes-nothing ||
	fail refused-writes-nothing "$(ls "$T")"
