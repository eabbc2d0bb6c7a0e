#!/bin/sh
# checks: 3
# t5097-user-ids: a numeric USER or group is an id as everywhere (id_parse, 0 to
# 4294967294): 4294967295 is setresuid's "no change", so RUN would stay root.
. "$(dirname "$0")/lib.sh"
run_needs t5097
busybox_base t5097
mkdir ctx
printf 'FROM base:1\nUSER 4294967295\nRUN id -u >/u\n' >ctx/Dockerfile
check_err t5097/uid-minus-one "strata: ctx/Dockerfile:3:1: unable to find user 4294967295: no matching entries in etc/passwd" $S build -q --network=none ctx
printf 'FROM base:1\nUSER 7:4294967295\nRUN id -g >/g\n' >ctx/Dockerfile
check_err t5097/gid-minus-one "strata: ctx/Dockerfile:3:1: unable to find group 4294967295: no matching entries in etc/group" $S build -q --network=none ctx
printf 'FROM base:1\nUSER 7:8\nRUN test "$(id -u):$(id -g)" = 7:8\n' >ctx/Dockerfile
if $S build -q --network=none ctx >ok.out 2>ok.err; then ok t5097/numeric-ids; else fail t5097/numeric-ids "$(head -c 300 ok.err)"; fi
