#!/bin/sh
# checks: 5
# a context file or directory swapped for a symlink out of the context while COPY reads it (issue 6,
# item 2): every source is opened once below the context, never through a symlink it did not mean
# to follow, hashed and copied from that one descriptor, so no host file lands in a layer or the cache
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 umoci || { skip context-race "python3 or umoci missing"; exit 0; }

mkdir -p ctx/d secret
# the same sizes, so only the content tells them apart
echo innocent-a >ctx/a
echo innocent-d >ctx/d/f
echo SECRET-a-x >secret/a
echo SECRET-d-x >secret/f
printf 'FROM scratch\nCOPY a /a\nCOPY d /d\n' >ctx/Dockerfile

# race WHAT: builds (no cache, so each one writes its layers) while the swapper runs; bounded in time
race() {
	rm -f stop race.err
	export STRATA_STORE="$T/store.$1${STRATA_NO_OPENAT2:+.walk}"
	python3 "$top/tests/swapper.py" ctx "$T/secret" stop 60 "$1" >swaps &
	pid=$!
	okn=0 i=0
	while [ $i -lt 40 ]; do
		"$S" build --no-cache -q ctx >/dev/null 2>>race.err && okn=$((okn + 1))
		i=$((i + 1))
	done
	touch stop
	wait $pid
}
leaked() {
	# any blob, compressed or not, and anything else the store holds
	grep -rqa SECRET "$STRATA_STORE" && return 0
	for b in "$STRATA_STORE"/blobs/sha256/*; do
		gzip -dc "$b" 2>/dev/null | grep -qa SECRET && return 0
	done
	return 1
}
# check_race NAME: the race was real (the swapper ran, builds both failed and succeeded), nothing leaked
check_race() {
	if [ "$(cat swaps)" -gt 0 ] && [ -s race.err ] && [ "$okn" -gt 0 ]; then
		leaked && fail "$1" "a host file outside the context is in the store" || ok "$1"
	else
		fail "$1" "no race: $(cat swaps) swaps, $okn builds of 40 succeeded: $(sort race.err | uniq -c | head -3)"
	fi
}

race a
check_race race-file
# the cache maps the innocent sources' key to the innocent layers
"$S" build -q -o "oci:$T/out:x" ctx >/dev/null 2>cached.err && umoci unpack --image out:x b >/dev/null 2>&1
[ "$(cat b/rootfs/a b/rootfs/d/f 2>/dev/null)" = "$(printf 'innocent-a\ninnocent-d')" ] && ok race-cache-innocent ||
	fail race-cache-innocent "$(cat cached.err b/rootfs/a b/rootfs/d/f 2>&1 | head -c 300)"
race d
check_race race-dir
# kernels without openat2 walk the path one component at a time
export STRATA_NO_OPENAT2=1
race a
check_race race-file-walk
race d
check_race race-dir-walk
unset STRATA_NO_OPENAT2
