#!/bin/sh
# checks: 18
# t5002-mounts: RUN --mount=type=cache|bind|tmpfs|secret and strata build
# --secret: caches persist per id, bind mounts read the context or a stage
# (and key the step by what they read), rw writes are discarded, no mount
# leaves anything in the layer, a secret appears nowhere in the store; bad
# --mount and --secret values are one-line errors before any step runs.
. "$(dirname "$0")/lib.sh"
run_needs t5002 python3 findmnt
busybox_base t5002
B() { $S build -q --network=none "$@"; }
# the files of image $1's layers above the base, one "path" a line
files() {
	rm -rf "$T/oci" && $S export "$1" "oci:$T/oci" >/dev/null && python3 - "$T/oci" <<'PY'
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
for l in m["layers"][1:]:
    for i in tarfile.open(d + "/blobs/sha256/" + l["digest"][7:]).getmembers():
        print(i.name)
PY
}

mkdir ctx && echo v1 >ctx/data.txt
cat >ctx/Dockerfile <<'DF'
FROM base:1 AS helper
RUN echo from-stage >/made
FROM base:1
RUN --mount=type=cache,target=/var/cache/c,id=c1 echo run >>/var/cache/c/log && wc -l </var/cache/c/log >/count
RUN --mount=type=bind,source=data.txt,target=/in/data.txt cp /in/data.txt /copied
RUN --mount=type=bind,target=/ctx,rw echo x >/ctx/written && ls /ctx >/listed
RUN --mount=type=bind,from=helper,source=/made,target=/m cp /m /from-stage
RUN --mount=type=tmpfs,target=/scratch echo x >/scratch/x && echo ok >/tmpfs-ok
DF
if B -t m:1 ctx >b1.out 2>b1.err; then ok t5002/build; else fail t5002/build "$(head -c 300 b1.err)"; fi
got=$(files m:1 | tr '\n' ' ')
want="count copied listed from-stage tmpfs-ok "
if [ "$got" = "$want" ]; then ok t5002/nothing-of-mounts-in-layers; else fail t5002/nothing-of-mounts-in-layers "[$got] want [$want]"; fi
[ ! -e ctx/written ] && ok t5002/rw-discarded || fail t5002/rw-discarded "a rw bind wrote to the context"
B --no-cache -t m:2 ctx >/dev/null 2>&1
rm -rf u && mkdir u && $S export m:2 "oci:$T/m2" >/dev/null
c=$(python3 - "$T/m2" <<'PY'
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
for l in m["layers"][1:]:
    t = tarfile.open(d + "/blobs/sha256/" + l["digest"][7:])
    for i in t.getmembers():
        if i.name == "count":
            print(t.extractfile(i).read().decode().strip())
PY
)
[ "$c" = 2 ] && ok t5002/cache-persists || fail t5002/cache-persists "count $c after two builds, want 2"
# the bind-mounted context file keys its step: a change reruns it, nothing else does
B -t m:3 ctx >/dev/null 2>&1
$S build --network=none ctx 2>k1.err >/dev/null
grep -q "copied (cached)" k1.err && ok t5002/bind-cached || fail t5002/bind-cached "$(grep copied k1.err)"
echo v2 >ctx/data.txt
$S build --network=none ctx 2>k2.err >/dev/null
grep "copied" k2.err | grep -qv cached && ok t5002/bind-keyed || fail t5002/bind-keyed "a changed bind source left the step cached"

# secrets: in the RUN, nowhere in the store
printf 'S3cr3tFromFile' >"$T/secret.txt"
export MYSECRET=S3cr3tFromEnv
cat >ctx/Dockerfile.sec <<'DF'
FROM base:1
RUN --mount=type=secret,id=f --mount=type=secret,id=e,env=E_VAR wc -c </run/secrets/f >/len && printf %s "$E_VAR" | wc -c >>/len && stat -c '%a %u' /run/secrets/f >/perm
RUN --mount=type=secret,id=f,target=/etc/app.key,mode=0440,uid=5 stat -c '%a %u' /etc/app.key >/custom
DF
if B --secret id=f,src="$T/secret.txt" --secret id=e,env=MYSECRET -f ctx/Dockerfile.sec -t s:1 ctx >s.out 2>s.err; then ok t5002/secret-build; else fail t5002/secret-build "$(head -c 300 s.err)"; fi
got=$(files s:1 | tr '\n' ' ')
[ "$got" = "len perm custom " ] && ok t5002/secret-no-stub || fail t5002/secret-no-stub "[$got]"
got=$(python3 - "$T/oci" <<'PY'
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
for l in m["layers"][1:]:
    t = tarfile.open(d + "/blobs/sha256/" + l["digest"][7:])
    for i in t.getmembers():
        print(t.extractfile(i).read().decode().strip().replace("\n", " "), end="|")
PY
)
[ "$got" = "14 13|400 0|440 5|" ] && ok t5002/secret-content || fail t5002/secret-content "[$got] want [14 13|400 0|440 5|]"
if grep -rlqa -e S3cr3tFromFile -e S3cr3tFromEnv "$STRATA_STORE" s.out s.err; then
	fail t5002/secret-nowhere "$(grep -rla -e S3cr3tFromFile -e S3cr3tFromEnv "$STRATA_STORE" | head -3)"
else
	# the blobs are gzip'd: look inside them too
	found=0
	for f in "$STRATA_STORE"/blobs/sha256/*; do
		if gzip -dc "$f" 2>/dev/null | grep -qa -e S3cr3tFromFile -e S3cr3tFromEnv; then found=1; fi
	done
	[ $found = 0 ] && ok t5002/secret-nowhere || fail t5002/secret-nowhere "a layer holds the secret"
fi

# bad input: one line, before any step
printf 'FROM base:1\nRUN echo should-not-run >/x\nRUN --mount=type=nosuch,target=/x true\n' >ctx/Dockerfile.bad1
check_err t5002/bad-type "strata: ctx/Dockerfile.bad1:3:1: RUN --mount=type=nosuch,target=/x: unsupported mount type \"nosuch\"" B -f ctx/Dockerfile.bad1 ctx
printf 'FROM base:1\nRUN --mount=type=cache,target=/x,colour=red true\n' >ctx/Dockerfile.bad2
check_err t5002/bad-key "strata: ctx/Dockerfile.bad2:2:1: RUN --mount=type=cache,target=/x,colour=red: unexpected key 'colour' for a cache mount" B -f ctx/Dockerfile.bad2 ctx
printf 'FROM base:1\nRUN --mount=type=cache,target=/x,sharing=sometimes true\n' >ctx/Dockerfile.bad3
check_err t5002/bad-value "strata: ctx/Dockerfile.bad3:2:1: RUN --mount=type=cache,target=/x,sharing=sometimes: unsupported sharing value \"sometimes\"" B -f ctx/Dockerfile.bad3 ctx
printf 'FROM base:1\nRUN --mount=type=tmpfs true\n' >ctx/Dockerfile.bad4
check_err t5002/no-target "strata: ctx/Dockerfile.bad4:2:1: RUN --mount=type=tmpfs: target is required" B -f ctx/Dockerfile.bad4 ctx
check_err t5002/missing-secret-source "strata: build: --secret id=f: $T/nosuch: No such file or directory" B --secret id=f,src="$T/nosuch" -f ctx/Dockerfile.sec ctx
printf 'FROM base:1\nRUN --mount=type=secret,id=k,required true\n' >ctx/Dockerfile.req
check_err t5002/required-secret "strata: ctx/Dockerfile.req:2:1: RUN --mount=type=secret,id=k: the secret is required and not given (strata build --secret id=k,src=FILE)" B -f ctx/Dockerfile.req ctx

# concurrent builds on one locked cache: one at a time, both complete, the cache whole
printf 'FROM base:1\nARG N\nRUN --mount=type=cache,target=/c,id=shared,sharing=locked echo start-$N >>/c/log && sleep 1 && echo end-$N >>/c/log\n' >ctx/Dockerfile.lock
B --build-arg N=1 -f ctx/Dockerfile.lock ctx >l1.out 2>&1 &
p1=$!
B --build-arg N=2 -f ctx/Dockerfile.lock ctx >l2.out 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
log=$(cat $(grep -l start "$STRATA_STORE"/cache/*/log) 2>/dev/null | tr '\n' ' ')
case $log in
"start-1 end-1 start-2 end-2 "|"start-2 end-2 start-1 end-1 ") [ $r1 = 0 ] && [ $r2 = 0 ] && ok t5002/locked-cache || fail t5002/locked-cache "exit $r1 $r2" ;;
*) fail t5002/locked-cache "log [$log] (exits $r1 $r2)" ;;
esac
m=$(findmnt -rn -o TARGET | grep -c "$STRATA_STORE"); t=$(ls "$STRATA_STORE/tmp" | wc -l)
[ "$m" = 0 ] && [ "$t" = 0 ] && ok t5002/clean || fail t5002/clean "$m mounts, $t tmp entries left"
