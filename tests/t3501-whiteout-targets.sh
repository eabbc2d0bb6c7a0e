#!/bin/sh
# checks: 6
# issue 6.3: a whiteout of "", "." or ".." (.wh., .wh.., .wh...) names no file: applied, it removes
# its own directory or the one above (the store's whole tmp/, with other builds' work). Refused at
# import, at extraction (a blob another writer put in the store), for ADD and in every layer written.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip whiteout-targets "python3 missing"; exit 0; }
O="$top/tests/ocimake.py"
st=$STRATA_STORE

python3 "$O" lay1 '[{"name":"a","data":"x"},{"name":".wh...","data":""}]' >lay1.ids
check_err whiteout:import "strata: layer $(sed -n 2p lay1.ids): entry .wh...: a whiteout that names no file" \
	$S import oci:lay1 evil:1

# planted straight into the store: the extraction for COPY refuses it, and removes nothing
python3 "$O" --plant "$st" evil:2 lay2 '[{"name":"a","data":"x"},{"name":"d/.wh..","data":""}]' >lay2.ids
l2=$(sed -n 2p lay2.ids)
mkdir -p ctx "$st/tmp" && echo x >ctx/f && printf 'FROM evil:2\nCOPY f /f\n' >ctx/Dockerfile
echo other >"$st/tmp/1.other-build"
check_err whiteout:extract "strata: ctx/Dockerfile:2:1: layer $l2: $st/blobs/sha256/${l2#sha256:}: entry d/.wh..: a whiteout that names no file" \
	$S build -q ctx
[ -e "$st/tmp/1.other-build" ] && ok whiteout:extract-removes-nothing || fail whiteout:extract-removes-nothing "the store's tmp/ was emptied"
python3 "$O" --plant "$st" evil:3 lay3 '[{"name":"a","data":"x"},{"name":".wh...","data":""}]' >/dev/null
printf 'FROM evil:3\nCOPY f /f\n' >ctx/Dockerfile
$S build -q ctx >/dev/null 2>&1
[ -e "$st/tmp/1.other-build" ] && ok whiteout:extract-dotdot-removes-nothing || fail whiteout:extract-dotdot-removes-nothing "the store's tmp/ was emptied"

# ADD of a local archive would carry it into a new layer; a context file of that name too
python3 -c 'import io, tarfile
with tarfile.open("ctx/evil.tar", "w") as tf: tf.addfile(tarfile.TarInfo(".wh.."), io.BytesIO(b""))'
printf 'FROM scratch\nADD evil.tar /x/\n' >ctx/Dockerfile
check_err whiteout:add "strata: ctx/Dockerfile:2:1: ctx/evil.tar: entry .wh..: a whiteout that names no file" $S build -q ctx
mkdir -p ctx2 && touch ctx2/.wh. && printf 'FROM scratch\nCOPY . /x/\n' >ctx2/Dockerfile
check_err whiteout:copy "strata: ctx2/Dockerfile:2:1: layer: x/.wh.: a whiteout that names no file" $S build -q ctx2
