#!/bin/sh
# checks: 8
# t5003-run-cmd: strata run IMAGE [CMD...]: the image's Entrypoint and Cmd
# or the command given, its exit status, -e, -v (read-only too), --network,
# nothing kept between runs, no mount or temporary file left.
. "$(dirname "$0")/lib.sh"
run_needs t5003 python3 findmnt
busybox_base t5003
mkdir ctx && printf 'FROM base:1\nENV GREETING=hello\nCMD ["sh", "-c", "echo $GREETING from cmd"]\n' >ctx/Dockerfile
$S build -q -t app:1 ctx >/dev/null 2>&1 || { fail t5003/build "build failed"; exit 0; }

out=$($S run --network=none app:1 2>&1)
[ "$out" = "hello from cmd" ] && ok t5003/cmd || fail t5003/cmd "[$out]"
$S run --network=none app:1 sh -c 'exit 42' >/dev/null 2>&1
rc=$?
[ $rc = 42 ] && ok t5003/exit-status || fail t5003/exit-status "exit $rc, want 42"
out=$($S run --rm --network=none -e GREETING=bye -e EXTRA=1 app:1 sh -c 'echo $GREETING $EXTRA' 2>&1)
[ "$out" = "bye 1" ] && ok t5003/env || fail t5003/env "[$out]"
mkdir vol && echo in-volume >vol/f
out=$($S run --network=none -v "$T/vol:/data:ro" app:1 sh -c 'cat /data/f; echo x >/data/g || echo refused' 2>/dev/null)
[ "$out" = "in-volume
refused" ] && [ ! -e vol/g ] && ok t5003/volume-ro || fail t5003/volume-ro "[$out]"
$S run --network=none -v "$T/vol:/data" app:1 sh -c 'echo w >/data/g' >/dev/null 2>&1
[ "$(cat vol/g 2>/dev/null)" = w ] && ok t5003/volume-rw || fail t5003/volume-rw "nothing written through -v"
$S run --network=none app:1 sh -c 'echo kept? >/left' >/dev/null 2>&1
out=$($S run --network=none app:1 sh -c 'cat /left 2>/dev/null || echo gone' 2>&1)
[ "$out" = gone ] && ok t5003/discarded || fail t5003/discarded "[$out]"
out=$($S run --network=none app:1 cat /proc/net/dev 2>&1 | grep -c ':')
[ "$out" = 1 ] && ok t5003/network-none || fail t5003/network-none "$out interfaces"
m=$(findmnt -rn -o TARGET | grep -c "$STRATA_STORE"); t=$(ls "$STRATA_STORE/tmp" | wc -l)
[ "$m" = 0 ] && [ "$t" = 0 ] && ok t5003/clean || fail t5003/clean "$m mounts, $t tmp entries left"
