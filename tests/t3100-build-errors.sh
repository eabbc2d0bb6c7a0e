#!/bin/sh
# checks: 55
# bad input to strata build: one line "strata: ...", exit 1, nothing written
# outside the store and the output, no tag, no temporary file left; and a
# build killed at any moment leaves a store the next build uses.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 && [ -x /bin/busybox ] || { skip build-errors "python3 or /bin/busybox missing"; exit 0; }

mkdir -p root/bin root/etc && cp /bin/busybox root/bin/ && echo 'root:x:0:0::/:/bin/sh' >root/etc/passwd
$S import rootfs:"$T/root" base:1 >/dev/null || { fail setup "import of the base failed"; exit 0; }

state() { $S images; ls "$STRATA_STORE/tmp"; }
state >state0

# b NAME 'DOCKERFILE' 'STDERR' : the build of ctx-NAME must fail with that line and leave no trace
b() {
	name=$1 df=$2 want=$3
	mkdir -p "ctx-$name"
	printf "$df" >"ctx-$name/Dockerfile"
	check_err "build-error:$name" "$want" $S build -q -t "victim-$name" -o "oci:$T/out-$name" "ctx-$name"
	state >state1
	if cmp -s state0 state1; then ok "build-error:$name:store-unchanged"; else fail "build-error:$name:store-unchanged" "$(diff state0 state1 | head -5)"; fi
	[ -e "out-$name" ] && fail "build-error:$name:no-output" "out-$name was written" || ok "build-error:$name:no-output"
}

mkdir -p outside && echo secret >outside/secret
b dotdot 'FROM base:1\nCOPY ../outside/secret /x\n' \
	"strata: ctx-dotdot/Dockerfile:2:1: ../outside/secret: forbidden path outside the build context"
mkdir -p ctx-symrel && ln -s ../outside/secret ctx-symrel/link
b symrel 'FROM base:1\nCOPY link /x\n' \
	"strata: ctx-symrel/Dockerfile:2:1: link: forbidden path outside the build context"
mkdir -p ctx-symabs && ln -s "$T/outside/secret" ctx-symabs/link
b symabs 'FROM base:1\nCOPY link /x\n' \
	"strata: ctx-symabs/Dockerfile:2:1: link: forbidden path outside the build context"
mkdir -p ctx-symdir/d && ln -s ../../outside ctx-symdir/d/up
b symdir 'FROM base:1\nCOPY d/up/secret /x\n' \
	"strata: ctx-symdir/Dockerfile:2:1: d/up/secret: forbidden path outside the build context"
b missing 'FROM base:1\nCOPY nosuch /x\n' \
	"strata: ctx-missing/Dockerfile:2:1: nosuch: not found in the build context"
b nomatch 'FROM base:1\nCOPY *.nosuch /x/\n' \
	"strata: ctx-nomatch/Dockerfile:2:1: *.nosuch: no source files match in the build context"
mkdir -p ctx-ignored && echo x >ctx-ignored/hidden && echo hidden >ctx-ignored/.dockerignore
b ignored 'FROM base:1\nCOPY hidden /x\n' \
	"strata: ctx-ignored/Dockerfile:2:1: hidden: not found in the build context (excluded by .dockerignore)"
b noimage 'FROM nosuch:2\n' \
	"strata: ctx-noimage/Dockerfile:1:1: image nosuch:2: not in the store (strata import it first)"
b fromimage 'FROM base:1\nCOPY --from=nosuch /a /b\n' \
	"strata: ctx-fromimage/Dockerfile:2:1: image nosuch:latest: not in the store (strata import it first)"
b fromstage 'FROM base:1 AS a\nFROM base:1\nCOPY --from=a /nosuch /b\n' \
	"strata: ctx-fromstage/Dockerfile:3:1: /nosuch: not found in stage a"
b run 'FROM base:1\nRUN --network=none ["/bin/busybox", "sh", "-c", "exit 3"]\n' \
	"strata: ctx-run/Dockerfile:2:1: RUN exited with status 3"
mkdir -p ctx-chown2 && echo x >ctx-chown2/f
b chown2 'FROM base:1\nCOPY --chown=nobody f /x\n' \
	"strata: ctx-chown2/Dockerfile:2:1: unable to find user nobody: no matching entries in etc/passwd"
b chmod 'FROM base:1\nCOPY --chmod=99 Dockerfile /x\n' \
	"strata: ctx-chmod/Dockerfile:2:1: invalid --chmod value '99'"
b many 'FROM base:1\nCOPY Dockerfile Dockerfile /x\n' \
	"strata: ctx-many/Dockerfile:2:1: when using COPY with more than one source file, the destination must be a directory and end with a /"
b signal 'FROM base:1\nSTOPSIGNAL SIGNOPE\n' \
	"strata: ctx-signal/Dockerfile:2:1: invalid signal 'SIGNOPE' in STOPSIGNAL"
b expose 'FROM base:1\nEXPOSE 80/nope\n' \
	"strata: ctx-expose/Dockerfile:2:8: invalid proto: nope"

# ADD of an archive that tries to leave its root: refused, the host untouched
python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def add(tf, name, data=b"x", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type == tarfile.REGTYPE:
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    else:
        tf.addfile(ti)
import os
os.makedirs(t + "/ctx-tardotdot", exist_ok=True)
with tarfile.open(t + "/ctx-tardotdot/evil.tar", "w") as tf:
    add(tf, "ok")
    add(tf, "../../../escaped-dotdot")
os.makedirs(t + "/ctx-tarlink", exist_ok=True)
with tarfile.open(t + "/ctx-tarlink/evil.tar.gz", "w:gz") as tf:
    add(tf, "up", type=tarfile.SYMTYPE, linkname="../../../../../../" + t.lstrip("/"))
    add(tf, "up/escaped-link")
PY
b tardotdot 'FROM base:1\nADD evil.tar /x/\n' \
	"strata: ctx-tardotdot/Dockerfile:2:1: ctx-tardotdot/evil.tar: entry ../../../escaped-dotdot: path leaves the destination"
mkdir -p out-tarlink-check
$S build -q -o "oci:$T/out-tarlink" ctx-tarlink >/dev/null 2>tarlink.err
[ -e "$T/escaped-link" ] || [ -e "$T/escaped-dotdot" ] && fail tar-host-untouched "a file was written outside" || ok tar-host-untouched
if [ -d out-tarlink ]; then
	# contained: the file went inside the image, under the link's target resolved in the root
	ok tar-symlink-contained
else
	ok tar-symlink-refused
fi

# a build killed at random moments leaves a store the next build completes, with the same digest
mkdir -p ctx-big/data
i=0
while [ $i -lt 40 ]; do head -c 2000000 /dev/urandom >ctx-big/data/f$i; i=$((i + 1)); done
printf 'FROM base:1\nCOPY data /data\nCOPY data /data2\nLABEL a=b\n' >ctx-big/Dockerfile
STRATA_STORE=$T/clean $S import rootfs:"$T/root" base:1 >/dev/null
want=$(STRATA_STORE=$T/clean $S build -q ctx-big) || fail kill-reference "reference build failed"
for delay in 0.05 0.2 0.5 1; do
	$S build -q ctx-big >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
done
$S build -q ctx-big >/dev/null 2>&1 &
pid=$!
sleep 0.3
kill -INT $pid 2>/dev/null
wait $pid 2>/dev/null
got=$($S build -q ctx-big 2>build.err) || fail kill-rebuild "$(cat build.err)"
[ "$got" = "$want" ] && ok kill-same-digest || fail kill-same-digest "got $got want $want"
got2=$($S build -q ctx-big 2>/dev/null)
[ "$got2" = "$want" ] && ok kill-cached-digest || fail kill-cached-digest "got $got2"
