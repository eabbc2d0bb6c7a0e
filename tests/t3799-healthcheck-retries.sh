#!/bin/sh
# checks: 2
# t3799-healthcheck-retries: --retries is a 32-bit int as BuildKit parses it; a
# larger value is an error before any step (it went into the config truncated
# by atoi while the history said the full number).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir ctx
printf 'FROM scratch\nHEALTHCHECK --retries=3000000000 CMD true\n' >ctx/Dockerfile
check_err t3799/retries-too-big "strata: ctx/Dockerfile:2:13: invalid --retries: 3000000000" $STRATA build -q ctx
printf 'FROM scratch\nHEALTHCHECK --retries=-99999999999999999999 CMD true\n' >ctx/Dockerfile
check_err t3799/retries-too-small "strata: ctx/Dockerfile:2:13: invalid --retries: -99999999999999999999" $STRATA build -q ctx
