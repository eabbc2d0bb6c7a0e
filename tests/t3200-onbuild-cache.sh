#!/bin/sh
# checks: 22
# ONBUILD triggers run when the image is used as a base; the step cache:
# a step whose inputs did not change is not rebuilt, one whose inputs did is.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need umoci skopeo python3 || { skip onbuild-cache "umoci, skopeo or python3 missing"; exit 0; }

cfg() { skopeo inspect --config --raw "oci:$1" | python3 -c "import json,sys; c=json.load(sys.stdin); print($2)"; }

mkdir -p a b
printf 'FROM scratch\nONBUILD COPY hello.txt /hello.txt\nONBUILD LABEL from=trigger\nLABEL base=yes\n' >a/Dockerfile
printf 'FROM obbase\nLABEL child=yes\n' >b/Dockerfile
echo hi >b/hello.txt
check onbuild-base $S build -q -t obbase -o "oci:$T/base:b" a
check onbuild-child $S build -q -t child -o "oci:$T/child:c" b
[ "$(cfg base:b "c['config']['OnBuild']")" = "['COPY hello.txt /hello.txt', 'LABEL from=trigger']" ] &&
	ok onbuild-recorded || fail onbuild-recorded "$(cfg base:b "c['config'].get('OnBuild')")"
# BuildKit writes no history entry for ONBUILD
[ "$(cfg base:b "c['history'][0]['created_by']")" = "LABEL base=yes" ] &&
	ok onbuild-history || fail onbuild-history "$(cfg base:b "c['history'][0]['created_by']")"
[ "$(cfg child:c "sorted(c['config']['Labels'].items())")" = "[('base', 'yes'), ('child', 'yes'), ('from', 'trigger')]" ] &&
	ok onbuild-triggers-ran || fail onbuild-triggers-ran "$(cfg child:c "c['config'].get('Labels')")"
[ "$(cfg child:c "'OnBuild' in c['config']")" = False ] && ok onbuild-not-inherited || fail onbuild-not-inherited "OnBuild kept"
umoci unpack --image child:c bundle >/dev/null 2>&1
[ "$(cat bundle/rootfs/hello.txt 2>/dev/null)" = hi ] && ok onbuild-copy || fail onbuild-copy "no /hello.txt in the child"

# WORKDIR makes what it creates the current USER's, as BuildKit does; what exists stays as it is
mkdir -p w
printf 'FROM scratch\nWORKDIR /root-owned\nUSER 1000:1001\nWORKDIR /a/b\nWORKDIR /root-owned\n' >w/Dockerfile
check workdir-build $S build -q -o "oci:$T/wout:w" w
umoci unpack --image wout:w wb >/dev/null 2>&1
[ "$(stat -c %u:%g wb/rootfs/a wb/rootfs/a/b wb/rootfs/root-owned | tr '\n' ' ')" = "1000:1001 1000:1001 0:0 " ] &&
	ok workdir-user || fail workdir-user "$(stat -c '%n %u:%g' wb/rootfs/a wb/rootfs/a/b wb/rootfs/root-owned)"

# the cache: progress says what was reused
mkdir -p c/src
echo 1 >c/src/one
echo 2 >c/src/two
printf 'FROM scratch\nLABEL a=b\nCOPY src /src\nCOPY src/one /one\nENV E=1\n' >c/Dockerfile
$S build c 2>first.err >/dev/null || fail cache-first "$(cat first.err)"
$S build c 2>second.err >/dev/null
[ "$(grep -c '(cached)' second.err)" = 4 ] && ok cache-all-hit || fail cache-all-hit "$(cat second.err)"
touch c/src/one c/src/two c/Dockerfile
$S build c 2>touched.err >/dev/null
[ "$(grep -c '(cached)' touched.err)" = 4 ] && ok cache-touch-no-rebuild || fail cache-touch-no-rebuild "$(cat touched.err)"
echo 3 >c/src/three
$S build c 2>added.err >/dev/null
grep -q '^\[2/4\] COPY src /src (cached)' added.err && fail cache-added-file "$(cat added.err)" || ok cache-added-file
grep -q '^\[3/4\] COPY src/one /one (cached)' added.err && fail cache-after-change "a step after a changed one was reused" || ok cache-after-change
grep -q '^\[1/4\] LABEL a=b (cached)' added.err && ok cache-before-change || fail cache-before-change "$(cat added.err)"
$S build --no-cache c 2>nocache.err >/dev/null
grep -q '(cached)' nocache.err && fail cache-no-cache "$(cat nocache.err)" || ok cache-no-cache
$S build -q c >quiet.out 2>quiet.err
[ ! -s quiet.err ] && grep -q '^sha256:[0-9a-f]\{64\}$' quiet.out && ok quiet || fail quiet "$(cat quiet.err quiet.out)"

# COPY --from: keyed by the stage's key, so it is reused while the stage is, and redone when it is not
mkdir -p m
echo v1 >m/a
printf 'FROM scratch AS s\nCOPY a /a\nFROM scratch\nCOPY --from=s /a /b\nLABEL x=y\n' >m/Dockerfile
$S build m >/dev/null 2>m1.err
$S build m >/dev/null 2>m2.err
[ "$(grep -c '(cached)' m2.err)" = 3 ] && ok cache-from-stage-hit || fail cache-from-stage-hit "$(cat m2.err)"
echo v2 >m/a
$S build -o "oci:$T/mout:m" m >/dev/null 2>m3.err
grep -q 'COPY --from=s /a /b (cached)' m3.err && fail cache-from-stage-miss "$(cat m3.err)" || ok cache-from-stage-miss
umoci unpack --image mout:m mb >/dev/null 2>&1
[ "$(cat mb/rootfs/b 2>/dev/null)" = v2 ] && ok cache-from-stage-content || fail cache-from-stage-content "$(cat mb/rootfs/b)"

# parse --json --context: the keys a build will use, and which the store has, without building
need python3 || { skip plan-keys "python3 missing"; exit 0; }
mkdir -p k && echo 1 >k/f
printf 'FROM scratch AS a\nCOPY f /f\nFROM scratch\nCOPY --from=a /f /g\nLABEL l=1\n' >k/Dockerfile
cached() { $S parse --json --context k k/Dockerfile | python3 -c "
import json, sys
d = json.load(sys.stdin)
print(' '.join(str(st['cached']) for s in d['stages'] for st in s['steps']))"; }
[ "$(cached)" = "False False False" ] && ok plan-keys-cold || fail plan-keys-cold "$(cached)"
$S build -q k >/dev/null
[ "$(cached)" = "True True True" ] && ok plan-keys-built || fail plan-keys-built "$(cached)"
echo 2 >k/f
[ "$(cached)" = "False False True" ] && fail plan-keys-change "LABEL cannot stay cached after a changed COPY" ||
	{ [ "$(cached)" = "False False False" ] && ok plan-keys-change || fail plan-keys-change "$(cached)"; }
