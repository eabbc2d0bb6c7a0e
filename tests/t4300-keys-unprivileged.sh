#!/bin/sh
# checks: 8
# The keys-only pass (build_keys, `parse --json --context`): every step's key and cache state
# without root, a mount namespace, a temporary directory or the store lock, and without
# writing to the store; the keys are the ones a build files its results under.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need setpriv python3 || { skip keys-unprivileged "setpriv or python3 missing"; exit 0; }
[ "$(id -u)" = 0 ] || { skip keys-unprivileged "needs root to switch to uid 65534"; exit 0; }
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
# cached flags of the needed steps, in order
cached() { python3 2>/dev/null -c 'import json,sys
p=json.load(sys.stdin)
print(" ".join(str(s.get("cached")) for st in p["stages"] if st["needed"] for s in st["steps"]))'; }

mkdir -p base ctx/src ctx/other
echo o >ctx/other/c
printf 'FROM scratch\nENV B=1\nONBUILD LABEL from=trigger\n' >base/Dockerfile
echo hi >ctx/src/a
echo ho >ctx/src/b
printf 'src/b\n' >ctx/.dockerignore
printf 'FROM kbase AS b\nCOPY other /s/\nWORKDIR /w\nFROM scratch\nCOPY --from=b /s /t\nCOPY src /src\nENV X=$B\n' >ctx/Dockerfile
check keys-build sh -c "$S build -q -t kbase base >/dev/null && $S build -q ctx >/dev/null"
$S parse --json --context ctx ctx/Dockerfile >root.json 2>root.err
[ "$(cached <root.json)" = "True True True True True True" ] && ok keys-match-build ||
	fail keys-match-build "$(cached <root.json) $(cat root.err)"

# a store and context the user can read, but not write
chmod -R a+rX,go-w "$T"
snap() { find store -printf '%p %m %s %T@\n' | sort; }
snap >before
nobody $S parse --json --context ctx ctx/Dockerfile >nobody.json 2>nobody.err
rc=$?
[ $rc = 0 ] && [ ! -s nobody.err ] && ok keys-as-nobody || fail keys-as-nobody "exit $rc: $(head -c 300 nobody.err)"
[ -s root.json ] && cmp -s root.json nobody.json && ok keys-same-as-root || fail keys-same-as-root "$(diff root.json nobody.json | head -5)"
snap >after
cmp -s before after && ok keys-store-untouched || fail keys-store-untouched "$(diff before after | head -5)"

# a changed source changes its step's key and the keys after it, not those before nor another stage's
echo changed >ctx/src/a
nobody $S parse --json --context ctx ctx/Dockerfile >changed.json 2>changed.err
[ "$(cached <changed.json)" = "True True True True False False" ] && ok keys-change ||
	fail keys-change "$(cached <changed.json) $(head -c 300 changed.err)"
# an ignored file is no input
echo other >ctx/src/b
echo hi >ctx/src/a
nobody $S parse --json --context ctx ctx/Dockerfile >ignored.json 2>&1
cmp -s root.json ignored.json && ok keys-ignored || fail keys-ignored "$(diff root.json ignored.json | head -5)"
# a store the user cannot read is an error message, not a crash
chmod 0700 store
nobody $S parse --json --context ctx ctx/Dockerfile >/dev/null 2>denied.err
rc=$?
[ $rc = 1 ] && [ "$(wc -l <denied.err)" = 1 ] && grep -q '^strata: ' denied.err && ok keys-unreadable-store ||
	fail keys-unreadable-store "exit $rc: $(cat denied.err)"
