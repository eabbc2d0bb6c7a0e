#!/bin/sh
# checks: 25
# t4301: the manifest digests of examples/hello and of every examples/diff case, built on a
# base made of fixed files, are pinned in tests/pinned-digests.txt: a change that moves a
# byte of any image (layer, config, manifest) fails here, not in a user's cache.
# A deliberate change of the layer contract or the key format re-pins them:
#   STRATA_PIN_UPDATE=1 STRATA=./strata sh tests/t4301-pinned-digests.sh >tests/pinned-digests.txt
. "$(dirname "$0")/lib.sh"
. "$top/tests/diffcases.sh"
need tar gzip bzip2 xz zstd || { skip t4301 "needs tar, gzip, bzip2, xz and zstd (case 13's archives)"; exit 0; }
[ "$(id -u)" = 0 ] || { skip t4301 "needs root (case 13's archive owns files by 1000)"; exit 0; }
export SOURCE_DATE_EPOCH=0
umask 022
pins=$top/tests/pinned-digests.txt
update=${STRATA_PIN_UPDATE:-}
cd "$T" || exit 1

# the base the cases name, from fixed bytes (never the host's busybox, whose version varies)
r=$T/base
mkdir -p "$r/bin" "$r/etc" "$r/home/app" "$r/tmp" "$r/root" "$r/dev" "$r/proc" "$r/sys"
printf '#!fake busybox\n' >"$r/bin/busybox"
chmod 755 "$r/bin/busybox"
chmod 1777 "$r/tmp"
chmod 700 "$r/root"
for a in sh ls cat; do ln -s busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' >"$r/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$r/etc/group"
chown 1000:1000 "$r/home/app"
if $STRATA import "rootfs:$r" localhost/busybox:latest >"$T/base.log" 2>&1; then
	[ -n "$update" ] || ok t4301/base
else
	fail t4301/base "$(head -c 300 "$T/base.log")"
	exit 0
fi

# pin NAME CTX [FLAGS...]: build CTX and compare (or print) its manifest digest
pin() {
	name=$1 ctx=$2
	shift 2
	rm -rf "$T/out"
	if ! $STRATA build -q -o "oci:$T/out:pin" "$@" "$ctx" >/dev/null 2>"$T/build.err"; then
		fail "$name" "build: $(head -c 300 "$T/build.err")"
		return
	fi
	# the manifest's digest, from the layout's index (build -q prints the image ID, the config's)
	d=$(grep -o '"digest": *"sha256:[0-9a-f]*"' "$T/out/index.json" | grep -o 'sha256:[0-9a-f]*')
	if [ -n "$update" ]; then
		echo "$name $d"
		return
	fi
	want=$(sed -n "s|^$name ||p" "$pins")
	if [ -z "$want" ]; then
		fail "$name" "not pinned in tests/pinned-digests.txt (got $d)"
	elif [ "$d" = "$want" ]; then
		ok "$name"
	else
		fail "$name" "manifest $d, pinned $want"
	fi
}

n=0
cp -R "$top/examples/hello" "$T/hello"
normalise_modes "$T/hello"
pin hello "$T/hello"
n=$((n + 1))
for dir in "$top"/examples/diff/[0-9]*/; do
	name=$(basename "$dir")
	ctx=$T/ctx/$name
	mkdir -p "$T/ctx"
	cp -R "$dir" "$ctx"
	normalise_modes "$ctx"
	num=${name%%-*}
	if command -v "gen_$num" >/dev/null 2>&1; then "gen_$num" "$ctx"; fi
	flags=
	[ -f "$ctx/build-flags" ] && flags=$(cat "$ctx/build-flags")
	# shellcheck disable=SC2086 # flags are whitespace-separated words
	pin "diff/$name" "$ctx" $flags
	n=$((n + 1))
done
[ -n "$update" ] && exit 0
# every pin names a case that still exists
[ "$(wc -l <"$pins")" -eq $n ] && ok t4301/all-pinned || fail t4301/all-pinned "$n cases, $(wc -l <"$pins") pins"
