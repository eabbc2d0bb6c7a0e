#!/bin/sh
# checks: 2
# t5099-mount-ids: a --mount uid or gid is an id as everywhere else (digits, 0 to
# 4294967294): 4294967295 would be chown's "no change", a sign no id.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir ctx
printf 'FROM scratch\nRUN --mount=type=cache,target=/c,uid=4294967295 true\n' >ctx/Dockerfile
check_err t5099/uid-minus-one "strata: ctx/Dockerfile:2:1: RUN --mount=type=cache,target=/c,uid=4294967295: invalid value for uid: 4294967295 (ids go from 0 to 4294967294)" $STRATA build -q ctx
printf 'FROM scratch\nRUN --mount=type=secret,id=a,gid=+5 true\n' >ctx/Dockerfile
check_err t5099/gid-sign "strata: ctx/Dockerfile:2:1: RUN --mount=type=secret,id=a,gid=+5: invalid value for gid: +5 (ids go from 0 to 4294967294)" $STRATA build -q ctx
