#!/bin/sh
# checks: 3
# t5095-bind-rw-special: a writable bind of a file is a private copy, streamed; a fifo
# as its source is an error, never a build that waits forever.
. "$(dirname "$0")/lib.sh"
run_needs t5095
busybox_base t5095
mkdir -p ctx && head -c 300000 /dev/urandom >ctx/big && mkfifo ctx/pipe
printf 'FROM base:1\nRUN --mount=type=bind,source=big,target=/f,rw cat /f >/got && echo x >>/f\n' >ctx/Dockerfile
if timeout 60 $S build -q --network=none ctx >b.out 2>b.err && id=$(cat b.out) &&
	$S export "$id" oci:"$T/o" >/dev/null 2>&1; then
	ok t5095/rw-file-copied
else
	fail t5095/rw-file-copied "$(head -c 300 b.err)"
fi
cmp -s ctx/big "$T/ctx/big" && [ "$(wc -c <ctx/big)" -eq 300000 ] && ok t5095/source-untouched ||
	fail t5095/source-untouched "the context file changed"
printf 'FROM base:1\nRUN --mount=type=bind,source=pipe,target=/f,rw cat /f\n' >ctx/Dockerfile.p
timeout 20 $S build -q --network=none -f ctx/Dockerfile.p ctx >p.out 2>p.err
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <p.err)" -eq 1 ] && grep -q "not a regular file" p.err; then
	ok t5095/fifo-refused
else
	fail t5095/fifo-refused "exit $rc (124: hung): $(head -c 300 p.err)"
fi
