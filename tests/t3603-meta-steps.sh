#!/bin/sh
# checks: 7
# metadata steps cost linear time and space (issue 6, item 12): in a run of them only the last result
# is stored, the others replayed in memory; final images, their digests and the cache are unchanged
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip meta-steps "python3 missing"; exit 0; }
mkdir -p one chain big

# the same image whether each step is stored (a stage per step) or the run is replayed
printf 'FROM scratch\nLABEL a=1\nENV E=2\nCMD ["c"]\nUSER 5\nEXPOSE 80\n' >one/Dockerfile
printf 'FROM scratch AS s1\nLABEL a=1\nFROM s1 AS s2\nENV E=2\nFROM s2 AS s3\nCMD ["c"]\nFROM s3 AS s4\nUSER 5\nFROM s4\nEXPOSE 80\n' >chain/Dockerfile
d1=$("$S" build -q one) && d2=$("$S" build -q chain) && [ "$d1" = "$d2" ] && ok meta-same-image ||
	fail meta-same-image "$d1 vs $d2"

python3 -c "
print('FROM scratch')
for i in range(1000): print('LABEL l%d=v%d' % (i, i))
" >big/Dockerfile
export STRATA_STORE="$T/bigstore"
cold=$("$S" build -q big)
kb=$(du -sk "$STRATA_STORE" | cut -f1)
# each of 1,000 stored results would hold up to 1,000 labels: 73 MB before
[ "$kb" -lt 4000 ] && ok meta-store-linear || fail meta-store-linear "$kb KB for 1,000 LABELs"
"$S" build big >/dev/null 2>warm.err
[ "$(grep -c '(cached)$' warm.err)" = 1000 ] && ok meta-warm-cached || fail meta-warm-cached "$(tail -3 warm.err)"
"$S" parse --json --context big big/Dockerfile >keys.json &&
	python3 -c "import json,sys; s=json.load(open('keys.json'))['stages'][0]['steps']; sys.exit(not all(x.get('cached') for x in s) or len(s) != 1000)" &&
	ok meta-keys-cached || fail meta-keys-cached "$(head -c 300 keys.json)"
# a change in the middle: the result is the cold one of the changed file; back again is a hit
sed -i 's/^LABEL l500=v500$/LABEL l500=changed/' big/Dockerfile
changed=$("$S" build -q big)
fresh=$(STRATA_STORE="$T/fresh" "$S" build -q big)
sed -i 's/^LABEL l500=changed$/LABEL l500=v500/' big/Dockerfile
"$S" build --iidfile back.iid big >/dev/null 2>back.err
back=$(cat back.iid)
[ "$changed" = "$fresh" ] && [ "$changed" != "$cold" ] && [ "$back" = "$cold" ] && ok meta-change-middle ||
	fail meta-change-middle "changed $changed fresh $fresh cold $cold back $back"
[ "$(grep -c '(cached)$' back.err)" = 1000 ] && ok meta-back-cached || fail meta-back-cached "$(tail -3 back.err)"

# CMD before a stored result still counts when ENTRYPOINT comes after it (ENTRYPOINT drops only an
# inherited CMD): the same image from a partly cached run as from a cold one
mkdir -p cmd
export STRATA_STORE="$T/cmdstore"
printf 'FROM scratch\nCMD ["a"]\nLABEL x=1\n' >cmd/Dockerfile
"$S" build -q cmd >/dev/null
printf 'FROM scratch\nCMD ["a"]\nLABEL x=1\nENTRYPOINT ["b"]\n' >cmd/Dockerfile
warm=$("$S" build -q cmd)
cold=$(STRATA_STORE="$T/cmdfresh" "$S" build -q cmd)
[ "$warm" = "$cold" ] && ok meta-cmd-kept || fail meta-cmd-kept "$warm vs $cold"
