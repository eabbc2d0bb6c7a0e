#!/bin/sh
# checks: 6
# issue 6.5: a blob already in the store is verified before it is kept: a damaged one is replaced
# by the next build or import that writes its content, and a cache hit whose manifest or config
# does not verify is rebuilt, so no build reports success over a corrupt store.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need sha256sum || { skip blob-repair "sha256sum missing"; exit 0; }
st=$STRATA_STORE
mkdir -p root/etc ctx && echo hello >root/etc/motd
$S import rootfs:"$T/root" base:1 >/dev/null && $S export base:1 oci:"$T/base" || { fail setup "import failed"; exit 0; }
printf 'FROM base:1\nLABEL a=b\n' >ctx/Dockerfile
md=$($S build -q -t img:1 ctx) || { fail setup "build failed"; exit 0; }
blob() { echo "$st/blobs/sha256/${1#sha256:}"; }
cfg=$($S inspect --manifest img:1 | sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -1)
layer=$($S inspect --manifest base:1 | sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' | tail -1)
# damage DIGEST: same size, other bytes
damage() { f=$(blob "$1"); n=$(wc -c <"$f"); head -c "$n" /dev/zero | tr '\0' x >"$f"; }
verifies() { [ "$(sha256sum <"$(blob "$1")" | cut -d' ' -f1)" = "${1#sha256:}" ]; }

damage "$cfg"
got=$($S build -q -t img:1 ctx 2>err)
[ "$got" = "$md" ] && verifies "$cfg" && ok repair:config-rebuilt || fail repair:config-rebuilt "digest $got, $(cat err)"
check repair:inspect-after $S inspect img:1
damage "$md"
got=$($S build -q -t img:1 ctx 2>err)
[ "$got" = "$md" ] && verifies "$md" && ok repair:manifest-rebuilt || fail repair:manifest-rebuilt "digest $got, $(cat err)"
check repair:export-after $S export img:1 oci-archive:"$T/img.tar"
damage "$layer"
$S import oci:"$T/base" base:1 >/dev/null 2>err
verifies "$layer" && ok repair:layer-reimported || fail repair:layer-reimported "still damaged $(cat err)"
# a blob of the wrong size (a truncated write of an older strata) is replaced too
f=$(blob "$cfg") && head -c 10 "$f" >"$f.x" && mv "$f.x" "$f"
$S build -q --no-cache ctx >/dev/null 2>err
verifies "$cfg" && ok repair:truncated || fail repair:truncated "still damaged $(cat err)"
