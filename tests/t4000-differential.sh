#!/bin/sh
# checks: 353
# t4000-differential: build each examples/diff/NN-name/ case with buildah (the
# reference) and with strata, from the same busybox base, and compare the
# unpacked root filesystems (tests/fscompare.py) and the image configs
# (tests/cfgcompare.py).
#
# A case folder holds a Dockerfile and its context. Optional files:
#   Dockerfile.buildah   what buildah 1.28 builds instead, where it lacks the
#                        syntax (--link, --parents, --exclude, heredocs, ...)
#   build-flags          extra build flags for both builders, one per line
# Comment lines in the Dockerfile "# expect-config FIELD JSON" and
# "# expect-fs PATH field=value..." give docker's documented result where
# buildah differs from it. Binary and special files (tars, symlinks, hard
# links, empty directories) are made below, in gen_CASE.
#
# DIFF_CASES="01 13" runs only the cases whose names start so;
# STRATA_KEEP_TMP=1 keeps $T (logs/, unpack/, cfg/) for a look afterwards.
. "$(dirname "$0")/lib.sh"
# t5100 runs the RUN cases of examples/diff-run/ through this script
tn=${DIFF_NAME:-t4000}
cases=${DIFF_DIR:-examples/diff}

if [ "$(id -u)" -ne 0 ]; then
	skip $tn "needs root (buildah chroot isolation, umoci unpack with owners)"
	exit 0
fi
if ! need buildah skopeo umoci python3 tar gzip bzip2 xz zstd; then
	skip $tn "needs buildah, skopeo, umoci, python3, tar, gzip, bzip2, xz and zstd"
	exit 0
fi
bb=$(command -v busybox || true)
if [ -z "$bb" ] || ! "$bb" --list >/dev/null 2>&1; then
	skip $tn "needs busybox (busybox-static)"
	exit 0
fi

export SOURCE_DATE_EPOCH=0
# Debian's python3 starts in 30 ms; a pyenv shim takes ten times as long
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if [ -n "${STRATA_KEEP_TMP:-}" ]; then trap - EXIT; echo "# kept $T"; fi
export CONTAINERS_REGISTRIES_CONF="$T/registries.conf"
: >"$CONTAINERS_REGISTRIES_CONF"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$T/policy.json"
broot=$T/buildah/root brun=$T/buildah/run
bstore="containers-storage:[vfs@$broot+$brun]"
B() { buildah --root "$broot" --runroot "$brun" --storage-driver vfs "$@"; }
mkdir -p "$T/oci" "$T/logs" "$T/ctx" "$T/unpack" "$T/cfg" "$T/bdir"

# --- the base: examples/base/busybox.sh (busybox, its applet links, an "app" user)
root=$T/rootfs
sh "$top/examples/base/busybox.sh" --dir "$root" localhost/busybox:latest >"$T/logs/install" 2>&1
if [ ! -x "$root/bin/busybox" ]; then
	fail $tn/base "examples/base/busybox.sh: $(tail -c 300 "$T/logs/install")"
	exit 0
fi

strata_base=1
if $STRATA inspect localhost/busybox:latest >"$T/logs/import" 2>&1 &&
	$STRATA export localhost/busybox:latest "oci:$T/base:latest" >>"$T/logs/import" 2>&1; then
	ok $tn/base-import
else
	strata_base=0
	fail $tn/base-import "strata import/export of the busybox rootfs failed: $(head -c 300 "$T/logs/import")"
	# so that the buildah side still runs, make the same base with umoci
	rm -rf "$T/base"
	umoci init --layout "$T/base" && umoci new --image "$T/base:latest" &&
		umoci insert --image "$T/base:latest" "$root" / >/dev/null ||
		{ fail $tn/base-umoci "umoci could not make the base either"; exit 0; }
fi
if ! skopeo --policy "$T/policy.json" copy -q "oci:$T/base:latest" \
	"${bstore}localhost/busybox:latest" >"$T/logs/skopeo" 2>&1; then
	fail $tn/base-buildah "skopeo copy to containers-storage: $(head -c 300 "$T/logs/skopeo")"
	exit 0
fi

# the special files of some cases (gen_NN) and normalise_modes
. "$top/tests/diffcases.sh"

# run_case DIR: build, unpack and compare one case; prints its result lines
run_case() {
	dir=$1
	name=$(basename "$dir")
	ctx=$T/ctx/$name
	cp -R "$dir" "$ctx"
	normalise_modes "$ctx"
	num=${name%%-*}
	if [ "$cases" = examples/diff ] && command -v "gen_$num" >/dev/null 2>&1; then "gen_$num" "$ctx"; fi
	flags=
	[ -f "$ctx/build-flags" ] && flags=$(cat "$ctx/build-flags")
	bdf=$ctx/Dockerfile
	[ -f "$ctx/Dockerfile.buildah" ] && bdf=$ctx/Dockerfile.buildah

	# --layers=false: one layer per stage halves buildah's time, and neither
	# the unpacked root filesystem nor the config depends on the layering
	# shellcheck disable=SC2086 # flags are whitespace-separated words
	if B bud --signature-policy "$T/policy.json" --isolation chroot --layers=false \
		--timestamp 0 --format docker -f "$bdf" -t "localhost/diff-$name" $flags "$ctx" \
		>"$T/logs/$name.buildah" 2>&1 &&
		B push --signature-policy "$T/policy.json" "localhost/diff-$name" "oci:$T/oci/b-$name:$name" \
			>>"$T/logs/$name.buildah" 2>&1 &&
		B push --signature-policy "$T/policy.json" --format v2s2 "localhost/diff-$name" \
			"dir:$T/bdir/$name" >>"$T/logs/$name.buildah" 2>&1; then
		ok "$name/buildah"
	else
		fail "$name/buildah" "$(tail -c 400 "$T/logs/$name.buildah")"
		return
	fi
	# shellcheck disable=SC2086
	if [ $strata_base = 1 ] && $STRATA build -f "$ctx/Dockerfile" $flags -o "oci:$T/oci/s-$name:$name" "$ctx" \
		>"$T/logs/$name.strata" 2>&1; then
		ok "$name/strata"
	else
		[ $strata_base = 1 ] || echo "no base image in the store" >"$T/logs/$name.strata"
		fail "$name/strata" "$(tail -c 400 "$T/logs/$name.strata")"
		skip "$name/compare" "no strata image to compare"
		return
	fi

	ub=$T/unpack/$name.b us=$T/unpack/$name.s
	if ! umoci unpack --image "$T/oci/b-$name:$name" "$ub" >"$T/logs/$name.unpack" 2>&1; then
		fail "$name/unpack-buildah" "$(tail -c 300 "$T/logs/$name.unpack")"
		return
	fi
	if ! umoci unpack --image "$T/oci/s-$name:$name" "$us" >>"$T/logs/$name.unpack" 2>&1; then
		fail "$name/unpack-strata" "$(tail -c 300 "$T/logs/$name.unpack")"
		return
	fi
	# the files buildah makes for its bind mounts, where the base had none (docker
	# and strata leave none)
	for stub in etc/hostname etc/hosts etc/resolv.conf; do
		if [ -f "$ub/rootfs/$stub" ] && [ ! -s "$ub/rootfs/$stub" ] && [ ! -e "$root/$stub" ]; then
			rm -f "$ub/rootfs/$stub"
		fi
	done
	$py "$top/tests/fscompare.py" "$name" "$ub/rootfs" "$us/rootfs" "$ctx/Dockerfile"

	# --raw: without it skopeo converts to the OCI schema and drops
	# Healthcheck, Shell and OnBuild
	if skopeo inspect --config --raw "dir:$T/bdir/$name" >"$T/cfg/$name.b.json" 2>"$T/logs/$name.cfg" &&
		skopeo inspect --config --raw "oci:$T/oci/s-$name:$name" >"$T/cfg/$name.s.json" 2>>"$T/logs/$name.cfg"; then
		$py "$top/tests/cfgcompare.py" "$name" "$T/cfg/$name.b.json" "$T/cfg/$name.s.json" "$ctx/Dockerfile"
	else
		fail "$name/config" "skopeo inspect: $(head -c 300 "$T/logs/$name.cfg")"
	fi
}

# two lanes, one per core: buildah and strata both take their store's locks
n_cases=0
mkdir -p "$T/out"
: >"$T/lane0" && : >"$T/lane1"
for dir in "$top/$cases"/[0-9]*/; do
	name=$(basename "$dir")
	if [ -n "${DIFF_CASES:-}" ]; then
		sel=0
		for c in $DIFF_CASES; do case $name in "$c"*) sel=1 ;; esac; done
		[ $sel = 1 ] || continue
	fi
	echo "$dir" >>"$T/lane$((n_cases % 2))"
	n_cases=$((n_cases + 1))
done
for lane in 0 1; do
	(while read -r dir; do run_case "$dir" >"$T/out/$(basename "$dir")" 2>&1; done <"$T/lane$lane") &
done
wait
for f in "$T"/out/*; do [ -e "$f" ] && cat "$f"; done
[ $n_cases -gt 0 ] || fail $tn/cases "no case under $cases matched"
exit 0
