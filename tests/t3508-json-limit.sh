#!/bin/sh
# checks: 4
# issue 6.14: one size limit for manifests and configs on both sides (16 MiB): a build refuses,
# at the step's line, a config its own import would refuse; one just below the limit goes out
# and comes back in.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip json-limit "python3 missing"; exit 0; }
mkdir -p big small
# LABEL a=<MB megabytes>, in physical lines of 60000 bytes (a longer line is an error)
label() {
	python3 -c 'import sys
n = int(float(sys.argv[1]) * 1000000) // 60000
sys.stdout.write("FROM scratch\nLABEL a=" + "\\\n".join(["x" * 60000] * n) + "\n")' "$1" >"$2/Dockerfile"
}
# the value is in Labels and again in the history entry: 2 x 9 MB > 16 MiB
label 9 big
out=$($S build -q big 2>&1)
rc=$?
case $out in
"strata: big/Dockerfile:2:1: the image config would be "*" bytes, more than the 16777216 a config may have") [ $rc = 1 ] && ok json-limit:build-refuses || fail json-limit:build-refuses "exit $rc" ;;
*) fail json-limit:build-refuses "exit $rc: $(echo "$out" | head -c 300)" ;;
esac
# 2 x 7 MB: below the limit, written, exported and imported again
label 7 small
check json-limit:build-below $S build -q -t small:1 small
check json-limit:export $S export small:1 oci:"$T/out"
check json-limit:import-back $S import oci:"$T/out" again:1
