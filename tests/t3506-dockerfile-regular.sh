#!/bin/sh
# checks: 8
# issue 6.11: a Dockerfile or .dockerignore is read whole, so it must be a regular file of at most
# 16 MiB: /dev/zero (or a link to it) or a fifo is one clear line at once, never a hang or a
# read until memory runs out.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need timeout || { skip dockerfile-regular "timeout missing"; exit 0; }
mkdir c1 c2 c3 c4 c5
ln -s /dev/zero c1/Dockerfile
mkfifo c2/Dockerfile
printf 'FROM scratch\n' >c3/Dockerfile && ln -s /dev/zero c3/.dockerignore
printf 'FROM scratch\n' >c4/Dockerfile && mkfifo c4/.dockerignore
head -c 16777217 /dev/zero | tr '\0' '#' >c5/Dockerfile
check_err regular:dockerfile-zero "strata: c1/Dockerfile: not a regular file" timeout 5 $S build -q c1
check_err regular:dockerfile-fifo "strata: c2/Dockerfile: not a regular file" timeout 5 $S build -q c2
check_err regular:dockerignore-zero "strata: c3/.dockerignore: not a regular file" timeout 5 $S build -q c3
check_err regular:dockerignore-fifo "strata: c4/.dockerignore: not a regular file" timeout 5 $S build -q c4
check_err regular:dockerfile-too-big "strata: c5/Dockerfile: 16777217 bytes, more than the 16777216 allowed" timeout 5 $S build -q c5
check_err regular:parse-zero "strata: c1/Dockerfile: not a regular file" timeout 5 $S parse --dump c1/Dockerfile
check_err regular:parse-json-fifo "strata: c2/Dockerfile: not a regular file" timeout 5 $S parse --json c2/Dockerfile
check_err regular:stdin-too-big "strata: -f -: standard input holds more than the 16777216 bytes a Dockerfile may have" \
	sh -c "timeout 5 $S build -q -f - c3 <c5/Dockerfile"
