#!/bin/sh
# checks: 9
# issue 6.7 (and the acceptance of issue 11): failed extractions, SIGINT and SIGTERM leave no
# temporary file or tree, in the store or beside an export (DEST.tmp-*); SIGKILL leaves them to
# `strata gc`, which frees what a dead process left at once (its pid is in the name).
# A 1 GB COPY (a sparse file: no disk, quick) interrupted with SIGINT leaves tmp/ empty.
. "$(dirname "$0")/lib.sh"
no_leak_check
S=$STRATA
cd "$T" || exit 1
need python3 truncate && env --default-signal=INT true 2>/dev/null || { skip interrupt-cleanup "python3, truncate or env --default-signal missing"; exit 0; }
st=$STRATA_STORE
mkdir -p ctx && truncate -s 1G ctx/big && printf 'FROM scratch\nCOPY big /big\n' >ctx/Dockerfile
$S images >/dev/null
leftovers() { ls "$st/tmp"; ls "$T/out" 2>/dev/null | grep tmp-; }

# run CMD... in the background with default signal actions (a shell's & ignores SIGINT), send SIG
# once it has a temporary file, and check it died of SIG and left nothing
interrupt() {
	name=$1 sig=$2 waitfor=$3; shift 3
	env --default-signal "$@" >/dev/null 2>"$name.err" &
	pid=$!
	i=0
	while [ $i -lt 400 ] && [ -z "$(ls $waitfor 2>/dev/null)" ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
	kill -"$sig" $pid
	wait $pid
	rc=$?
	left=$(leftovers)
	if [ -z "$left" ] && [ $rc -gt 128 ]; then ok "cleanup:$name"; else fail "cleanup:$name" "exit $rc, left: $left $(cat "$name.err")"; fi
}
interrupt sigint-1g-copy INT "$st/tmp" $S build -q --no-cache ctx
interrupt sigterm-1g-copy TERM "$st/tmp" $S build -q --no-cache ctx
interrupt sighup-1g-copy HUP "$st/tmp" $S build -q --no-cache ctx
# an export: the layer's tar (1 GB of it) is written beside the destination
$S build -q -t big:1 ctx >/dev/null || { fail setup "build failed"; exit 0; }
mkdir -p out
interrupt sigint-export INT "$T/out/*tmp-*" $S export big:1 docker-archive:"$T/out/big.tar"
interrupt sigterm-export TERM "$T/out/*tmp-*" $S export big:1 docker-archive:"$T/out/big.tar"

# SIGKILL: nothing runs, gc frees what the dead process left, whatever its age
$S build -q --no-cache ctx >/dev/null 2>&1 &
pid=$!
while [ -z "$(ls "$st/tmp")" ]; do sleep 0.05; done
sleep 0.3
kill -KILL $pid; wait $pid
[ -n "$(ls "$st/tmp")" ] && ok cleanup:sigkill-leaves || fail cleanup:sigkill-leaves "nothing left (the test proves nothing)"
check cleanup:gc-runs $S gc
[ -z "$(ls "$st/tmp")" ] && ok cleanup:gc-frees-dead || fail cleanup:gc-frees-dead "$(ls -la "$st/tmp")"

# a failed extraction (a layer with a hostile whiteout, planted in the store) leaves nothing
python3 "$top/tests/ocimake.py" --plant "$st" evil:1 lay '[{"name":"a","data":"x"},{"name":"b","data":"y"},{"name":".wh.","data":""}]' >/dev/null
printf 'FROM evil:1\nCOPY Dockerfile /x\n' >ctx/Dockerfile
$S build -q ctx >/dev/null 2>&1
[ -z "$(ls "$st/tmp")" ] && ok cleanup:failed-extraction || fail cleanup:failed-extraction "$(ls "$st/tmp")"
