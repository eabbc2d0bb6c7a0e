#!/bin/sh
# checks: 8
# a graph over a store base image with RUN steps, through Make and Ninja: RUN is a step like any
# other (a changed COPY before it reruns it), and the digest is strata build's
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make ninja busybox || { skip graph-run "make, ninja or busybox missing"; exit 0; }
STRATA=$S sh "$top/examples/base/busybox.sh" >base.log 2>&1 || { fail graph-run-base "$(tail -c 300 base.log)"; exit 0; }
export STRATA_GRAPH_LOG="$T/log"
mkdir ctx
echo hi >ctx/a.txt
printf 'FROM localhost/busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt >/b.txt && echo built >>/b.txt\nCMD ["cat", "/b.txt"]\n' >ctx/Dockerfile
for tool in make ninja; do
	f=r.$tool
	run() { if [ $tool = make ]; then make -f $f; else ninja -f $f; fi; }
	$S gen --$tool $f ctx >out 2>&1 && run >out 2>&1 && ok "$tool-run-build" || fail "$tool-run-build" "$(tail -c 300 out)"
	rm -f log
	run >out 2>&1
	[ ! -s log ] && ok "$tool-run-noop" || fail "$tool-run-noop" "ran $(tr '\n' ' ' <log)"
	echo "$tool" >>ctx/a.txt
	rm -f log
	run >out 2>&1
	got=$(sed -n 's/^exec //p' log 2>/dev/null | tr '\n' ' ')
	[ "$got" = "0.1 0.2 0.3 " ] && ok "$tool-run-changed" || fail "$tool-run-changed" "executors ran for [$got]"
	want=$($S build -q ctx 2>/dev/null)
	got=$($S inspect -f '{{.Id}}' "$(cat .strata/$f/image)" 2>/dev/null)
	[ -n "$want" ] && [ "$want" = "$got" ] && ok "$tool-run-digest" || fail "$tool-run-digest" "graph $got, strata build $want"
done
