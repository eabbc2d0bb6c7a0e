#!/bin/sh
# checks: 5
# issue 6.13: an image of any number of layers mounts. overlayfs stacks at most 500 lower
# directories, so past 400 the bottom layers are applied into one flat directory (cached in the
# store by chain ID); whiteouts and opaque directories on both sides of that line still hold.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip many-layers "python3 missing"; exit 0; }
# 700 layers: 0 has keep, gone, d/old; layer i adds f/i; 100 removes f/50; 650 removes gone;
# 660 makes d opaque with d/new; 690 rewrites keep
python3 - "$top/tests/ocimake.py" <<'PY' >ids || { fail setup "ocimake failed"; exit 0; }
import json, subprocess, sys
layers = []
for i in range(700):
    e = [{"name": "f/%d" % i, "data": str(i)}]
    if i == 0:
        e += [{"name": "keep", "data": "v1"}, {"name": "gone", "data": "x"}, {"name": "d", "type": "dir"},
              {"name": "d/old", "data": "o"}]
    if i == 100:
        e.append({"name": "f/.wh.50"})
    if i == 650:
        e.append({"name": ".wh.gone"})
    if i == 660:
        e += [{"name": "d", "type": "dir"}, {"name": "d/.wh..wh..opq"}, {"name": "d/new", "data": "n"}]
    if i == 690:
        e.append({"name": "keep", "data": "v2"})
    layers.append(json.dumps(e))
sys.stdout.flush()
subprocess.run([sys.executable, sys.argv[1], "many"] + layers, check=True)
PY
$S import oci:"$T/many" many:1 >/dev/null || { fail setup "import failed"; exit 0; }
# the merged view as COPY --from sees it, copied into one layer and exported as a directory
printf 'FROM scratch\nCOPY --from=many:1 / /\n' >Dockerfile
check many:build $S build -q -t flat:1 -o type=local,dest="$T/out" .
got=$(cd out 2>/dev/null && echo "$(cat keep) $(ls d | tr '\n' ,) $(ls f | wc -l) $([ -e gone ] && echo gone) $([ -e f/50 ] && echo f50)")
[ "$got" = "v2 new, 699  " ] && ok many:view || fail many:view "got [$got]"
# a step on top of it: the 700 layers are the parent's filesystem
printf 'FROM many:1\nCOPY Dockerfile /x\n' >Dockerfile
check many:copy-on-top $S build -q .
[ -n "$(ls "$STRATA_STORE/dirs/flat")" ] && ok many:flat-cached || fail many:flat-cached "no dirs/flat"
check many:rebuild-warm $S build -q --no-cache .
