#!/bin/sh
# checks: 10
# strata gen takes every build flag that changes the image (--label, --keep-modes, --compression,
# --compression-level) and its graph gives strata build's manifest with it, through Ninja and Make;
# each flag set gives another image than no flags (so the check can fail)
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make ninja || { skip graph-build-flags "make or ninja missing"; exit 0; }
mkdir ctx
echo secret >ctx/a.txt
chmod 600 ctx/a.txt
printf 'FROM scratch\nCOPY a.txt /a.txt\nCMD ["/x"]\n' >ctx/Dockerfile
# the manifest (its layer digests show the compression), as strata inspect prints it
man() { $S inspect --manifest "$1" 2>/dev/null; }
$S build -q -t plain ctx >/dev/null 2>&1
plain=$(man plain)
n=0
for flags in "--label org.example.a=1 --label b=2" "--keep-modes" "--compression zstd" \
	"--compression gzip --compression-level 1" "--compression zstd --compression-level 9 --keep-modes --label x=y"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	$S build -q -t "f$n" $flags ctx >/dev/null 2>build.err
	want=$(man "f$n")
	tool=ninja
	[ $((n % 2)) = 0 ] && tool=make
	run() { if [ $tool = make ]; then make -f g$n.$tool; else ninja -f g$n.$tool; fi; }
	# shellcheck disable=SC2086
	if $S gen --$tool g$n.$tool $flags ctx >gen.out 2>&1 && run >run.out 2>&1; then
		got=$(man "$(cat .strata/g$n.$tool/image)")
		[ -n "$want" ] && [ "$want" = "$got" ] && ok "flags-$n-$tool-digest" ||
			fail "flags-$n-$tool-digest" "[$flags] graph and strata build differ: $(echo "$got" | head -c 300) $(head -c 200 build.err)"
	else
		fail "flags-$n-$tool-digest" "[$flags] $(tail -c 300 gen.out run.out)"
	fi
	[ -n "$want" ] && [ "$want" != "$plain" ] && ok "flags-$n-changes-image" ||
		fail "flags-$n-changes-image" "[$flags] gives the image of no flags"
done
