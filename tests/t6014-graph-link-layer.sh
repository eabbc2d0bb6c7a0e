#!/bin/sh
# checks: 14
# a COPY --link, and a COPY right after FROM scratch (their layers need no parent), are layer
# targets of their own beside the chain, through
# Make and Ninja: it depends on no earlier step (it even runs when the step before it fails), an
# edit that changes only an earlier step does not rerun it (the step then only stacks the layer
# it wrote), and every image is strata build's
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make ninja || { skip graph-link-layer "make or ninja missing"; exit 0; }
export STRATA_GRAPH_LOG="$T/log"
mkdir -p ctx/big
for i in 1 2 3; do head -c 1000000 /dev/urandom >ctx/big/f$i; done
echo a >ctx/a.txt
printf 'FROM scratch\nCOPY a.txt /a.txt\nCOPY --link big/ /big/\nCMD ["/x"]\n' >ctx/Dockerfile
printf 'FROM scratch\nCOPY --chown=nobody a.txt /a.txt\nCOPY --link big/ /big/\nCMD ["/x"]\n' >bad.Dockerfile
for tool in make ninja; do
	f=g.$tool
	run() { if [ $tool = make ]; then make -f $f "$@"; else ninja -f $f "$@"; fi; }
	digest() {
		want=$($S build -q ctx 2>/dev/null)
		got=$($S inspect -f '{{.Id}}' "$(cat .strata/$f/image 2>/dev/null)" 2>/dev/null)
		[ -n "$want" ] && [ "$want" = "$got" ] && ok "$tool-link-$1" || fail "$tool-link-$1" "graph $got, strata build $want"
	}
	rm -f log
	$S gen --$tool $f ctx >out 2>&1 && run >out 2>&1 && grep -q '^layer 0.2$' log && ok "$tool-link-build" ||
		fail "$tool-link-build" "$(tail -c 300 out) $(tr '\n' ' ' <log 2>/dev/null)"
	digest digest
	# the COPY right after FROM scratch has one too
	grep -q '^layer 0.1$' log && ok "$tool-after-scratch-layer" || fail "$tool-after-scratch-layer" "ran $(tr '\n' ' ' <log 2>/dev/null)"
	# the layer target's inputs: its sources, its step, the store's gc file; nothing of step 0.1
	if [ $tool = make ]; then deps=$(grep '^\.strata/g.make/0\.2\.layer\.stamp:' $f); else deps=$(ninja -f $f -t query .strata/$f/0.2.layer | sed -n '/input:/,/outputs:/p'); fi
	[ -n "$deps" ] && ! echo "$deps" | grep -q '0\.1\.' && ok "$tool-link-no-parent-input" || fail "$tool-link-no-parent-input" "$deps"
	# only the step before it changed: the layer target does not run, the step only stacks it
	echo "b $tool" >ctx/a.txt
	rm -f log
	run >out 2>&1
	got=$(sed -n 's/^exec //p' log 2>/dev/null | sort | tr '\n' ' ')
	! grep -q '^layer 0.2' log && [ "$got" = "0.1 0.2 0.3 " ] && ok "$tool-link-earlier-change" ||
		fail "$tool-link-earlier-change" "ran $(tr '\n' ' ' <log 2>/dev/null)"
	digest digest-after-change
	# the step before it fails: the layer is written all the same (it waits for nothing)
	rm -rf .strata log
	$S gen --$tool b.$tool -f bad.Dockerfile ctx >out 2>&1
	if [ $tool = make ]; then make -k -f b.$tool >out 2>&1; else ninja -k 0 -f b.$tool >out 2>&1; fi
	grep -q '^layer 0.2$' log && grep -q 'unable to find user nobody' out && ok "$tool-link-beside-failed-step" ||
		fail "$tool-link-beside-failed-step" "ran $(tr '\n' ' ' <log 2>/dev/null) $(tail -c 200 out)"
	echo a >ctx/a.txt
	rm -rf .strata
done
