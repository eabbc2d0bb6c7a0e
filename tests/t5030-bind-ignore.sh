#!/bin/sh
# checks: 9
# t5030-bind-ignore: RUN --mount=type=bind from the context shows what the step key hashed, the
# .dockerignore rules applied (exceptions too), read-only or rw (writes discarded); editing an
# ignored file keeps the step cached, editing an included one reruns it; a source= that the rules
# exclude is a one-line Dockerfile error before any step runs.
. "$(dirname "$0")/lib.sh"
run_needs t5030
busybox_base t5030
mkdir -p ctx/logs ctx/data ctx/exdir ctx/sub
echo in >ctx/in.txt
echo s1 >ctx/secret.txt
echo l >ctx/logs/a.log
echo k >ctx/data/keep.tmp
echo x >ctx/data/x.tmp
echo d >ctx/data/d.txt
echo ok >ctx/exdir/ok
echo no >ctx/exdir/no
echo s >ctx/sub/secret.txt
chmod 0750 ctx/data
printf 'secret.txt\nlogs\ndata/*.tmp\n!data/keep.tmp\nexdir\n!exdir/ok\n**/secret.txt\n' >ctx/.dockerignore
cat >ctx/Dockerfile <<'DF'
FROM base:1
RUN --mount=type=bind,target=/ctx cd /ctx && find . | sort >/listing && stat -c '%a' data >/datamode
RUN --mount=type=bind,target=/ctx,rw cd /ctx && find . | sort >/listing.rw && echo w >secret.txt && rm in.txt && cat secret.txt >/wrote
DF
B() { $S build --network=none "$@"; }
if B -q -t b:1 ctx >b1.out 2>b1.err; then ok t5030/build; else fail t5030/build "$(head -c 300 b1.err)"; exit 0; fi
$S export b:1 "oci:$T/o1" >/dev/null 2>&1
python3 - "$T/o1" "$T/out" <<'PY'
import json, os, sys, tarfile
d, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
for l in m["layers"][1:]:
    t = tarfile.open(d + "/blobs/sha256/" + l["digest"][7:])
    for i in t.getmembers():
        if i.isfile():
            open(out + "/" + i.name, "wb").write(t.extractfile(i).read())
PY
want='.
./.dockerignore
./Dockerfile
./data
./data/d.txt
./data/keep.tmp
./exdir
./exdir/ok
./in.txt
./sub'
[ "$(cat out/listing 2>/dev/null)" = "$want" ] && ok t5030/ro-hides-ignored || fail t5030/ro-hides-ignored "$(tr '\n' ' ' <out/listing 2>/dev/null)"
[ "$(cat out/listing.rw 2>/dev/null)" = "$want" ] && ok t5030/rw-hides-ignored || fail t5030/rw-hides-ignored "$(tr '\n' ' ' <out/listing.rw 2>/dev/null)"
[ "$(cat out/datamode 2>/dev/null)" = 750 ] && ok t5030/dir-metadata || fail t5030/dir-metadata "data is $(cat out/datamode 2>/dev/null), want 750"
[ "$(cat ctx/secret.txt)" = s1 ] && [ -e ctx/in.txt ] && [ "$(cat out/wrote 2>/dev/null)" = w ] &&
	ok t5030/rw-discarded || fail t5030/rw-discarded "the context changed or the write failed"
# an ignored file is no input of the step; an included one is
echo s2 >ctx/secret.txt
echo l2 >ctx/logs/a.log
B ctx >c1.out 2>c1.err
n=$(grep -c '(cached)' c1.err)
[ "$n" -eq 2 ] && ok t5030/ignored-edit-cached || fail t5030/ignored-edit-cached "$n steps cached of 2: $(head -c 300 c1.err)"
echo in2 >ctx/in.txt
B ctx >c2.out 2>c2.err
n=$(grep -c '(cached)' c2.err)
[ "$n" -eq 0 ] && ok t5030/included-edit-reruns || fail t5030/included-edit-reruns "$n steps still cached: $(head -c 300 c2.err)"
# a source the rules exclude: refused before the first RUN runs
printf 'FROM base:1\nRUN touch /ran\nRUN --mount=type=bind,source=secret.txt,target=/s cat /s\n' >ctx/Dockerfile.x
check_err t5030/excluded-source "strata: ctx/Dockerfile.x:3:1: RUN --mount=type=bind,source=secret.txt: excluded by .dockerignore" \
	B -q -f ctx/Dockerfile.x ctx
printf 'FROM base:1\nRUN --mount=type=bind,source=data/x.tmp,target=/s cat /s\n' >ctx/Dockerfile.y
check_err t5030/excluded-below "strata: ctx/Dockerfile.y:2:1: RUN --mount=type=bind,source=data/x.tmp: excluded by .dockerignore" \
	B -q -f ctx/Dockerfile.y ctx
