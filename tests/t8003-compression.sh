#!/bin/sh
# checks: 15
# t8003: --compression gzip|zstd|none and --compression-level. zstd layers (tar+zstd media type)
# are the same bytes with 1, 2 and 8 threads, decompress to the diff_id, validate with skopeo
# and umoci (stat), import and export (oci and docker-archive) as they are; none writes plain tar
# layers; the step key covers the choice; bad values are refused before a step runs; the zstd
# self-test refuses a libzstd that gives other bytes (an LD_PRELOAD shim that shifts the level).
. "$(dirname "$0")/lib.sh"
need python3 zstd skopeo || { skip t8003 "needs python3, zstd and skopeo"; exit 0; }
cd "$T" || exit 1
mkdir ctx
word_files ctx 8003 4 700000 layer strata zstd block /usr/lib/ '\n' 0644
printf 'FROM scratch\nCOPY . /x\n' >ctx/Dockerfile

# layer OUT [PREFIX...] -- BUILD-FLAGS: build ctx into oci:OUT; print the layer's media type,
# its blob path and the config's diff_id
layer() {
	out=$1
	shift
	pre=
	while [ "$1" != -- ]; do pre="$pre $1"; shift; done
	shift
	rm -rf "$out"
	$pre $STRATA build -q -o "oci:$out:x" "$@" ctx >/dev/null 2>"$T/err" || return 1
	python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
def blob(dg): return d + "/blobs/sha256/" + dg.split(":")[1]
m = json.load(open(blob(json.load(open(d + "/index.json"))["manifests"][0]["digest"])))
c = json.load(open(blob(m["config"]["digest"])))
l = m["layers"][0]
print(l["mediaType"], blob(l["digest"]), c["rootfs"]["diff_ids"][0])
PY
}

for t in 1 2 8; do
	set -- $(layer "$T/z$t" env STRATA_LAYER_THREADS=$t -- --no-cache --compression zstd) && cp "$2" "$T/zstd.$t" && mt=$1 diff_id=$3 || : >"$T/zstd.$t"
done
[ -s "$T/zstd.1" ] && cmp -s "$T/zstd.1" "$T/zstd.2" && cmp -s "$T/zstd.1" "$T/zstd.8" && ok zstd-threads-1-2-8 ||
	fail zstd-threads-1-2-8 "$(sha256sum "$T"/zstd.[128] | cut -c1-16 | tr '\n' ' ') $(cat "$T/err")"
[ "${mt:-}" = application/vnd.oci.image.layer.v1.tar+zstd ] && ok zstd-media-type || fail zstd-media-type "${mt:-none}"
got=sha256:$(zstd -dc <"$T/zstd.1" | sha256sum | cut -d' ' -f1)
[ "$got" = "${diff_id:-}" ] && ok zstd-diff-id || fail zstd-diff-id "content $got, diff_id ${diff_id:-}"
check zstd-skopeo skopeo inspect "oci:$T/z1:x"
# umoci 0.4 reads the layout but unpacks gzip'd layers only
if need umoci; then check zstd-umoci umoci stat --image "$T/z1:x"; else skip zstd-umoci "needs umoci"; fi
# import reads zstd and keeps the blob; docker-archive export gives the plain tar
S2="env STRATA_STORE=$T/store2 $STRATA"
$S2 import "oci:$T/z1:x" zimp >/dev/null 2>"$T/err" && $S2 export zimp "oci:$T/zback:x" 2>>"$T/err" &&
	[ "$(ls "$T/zback/blobs/sha256" | sort)" = "$(ls "$T/z1/blobs/sha256" | sort)" ] && ok zstd-import-export ||
	fail zstd-import-export "$(cat "$T/err")"
$S2 export zimp "docker-archive:$T/z.tar" 2>"$T/err" && skopeo inspect "docker-archive:$T/z.tar" >/dev/null 2>>"$T/err" &&
	ok zstd-docker-archive || fail zstd-docker-archive "$(cat "$T/err")"

set -- $(layer "$T/n" -- --compression none) && mt=$1 && b=$2 && diff_id=$3 || mt=
[ "$mt" = application/vnd.oci.image.layer.v1.tar ] && [ "sha256:$(sha256sum <"$b" | cut -d' ' -f1)" = "$diff_id" ] &&
	ok none-plain-tar || fail none-plain-tar "${mt:-} $(cat "$T/err")"
# the key covers the choice: a zstd or level-1 build after a gzip one is no cache hit
set -- $(layer "$T/g" -- --compression gzip) && g=$1 || g=
set -- $(layer "$T/z" -- --compression zstd) && z=$1 || z=
set -- $(layer "$T/g1" -- --compression-level 1) && g1=$2 || g1=
[ "$g" = application/vnd.oci.image.layer.v1.tar+gzip ] && [ "$z" = application/vnd.oci.image.layer.v1.tar+zstd ] &&
	ok key-covers-method || fail key-covers-method "gzip build: $g, zstd build: $z"
[ -n "$g1" ] && ! cmp -s "$g1" "$(ls -S "$T"/g/blobs/sha256/* | head -1)" && ok key-covers-level || fail key-covers-level "level 1 gave the level 6 blob"
check_err bad-method "strata: --compression bz2: want gzip, zstd or none" $STRATA build --compression bz2 ctx
check_err bad-gzip-level "strata: --compression-level 10: gzip takes 1 to 9" $STRATA build --compression-level 10 ctx
check_err bad-zstd-level "strata: --compression-level 20: zstd takes 1 to 19" $STRATA build --compression zstd --compression-level 20 ctx
check_err bad-none-level "strata: --compression-level 3: none takes no level" $STRATA build --compression none --compression-level 3 ctx

# the zstd self-test: a shim that shifts the level, as another libzstd's other bytes would
if need cc && cat >shim.c <<'C' && cc -shared -fPIC -o shim.so shim.c -ldl 2>/dev/null
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
typedef size_t (*setp)(void *, int, int);
size_t ZSTD_CCtx_setParameter(void *c, int param, int value)
{
	setp real = (setp)dlsym(RTLD_NEXT, "ZSTD_CCtx_setParameter");
	return real(c, param, param == 100 ? value + 1 : value); /* ZSTD_c_compressionLevel */
}
C
then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	LD_PRELOAD=$T/shim.so $STRATA build --no-cache --compression zstd -q ctx >/dev/null 2>"$T/err"
	rc=$?
	grep -q "zstd self-test failed: libzstd [0-9.]* gives other bytes than the libzstd strata pins (1.5.4): blob digests would differ from other machines' (--allow-foreign-deflate to go on)" "$T/err" &&
		[ $rc = 1 ] && ok zstd-selftest || fail zstd-selftest "exit $rc: $(cat "$T/err")"
else
	skip zstd-selftest "cannot build the shim"
fi
