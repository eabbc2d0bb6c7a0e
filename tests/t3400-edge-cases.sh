#!/bin/sh
# checks: 23
# edge cases a review found: each once crashed, leaked or differed from docker
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need umoci skopeo || { skip edge-cases "umoci or skopeo missing"; exit 0; }

# build NAME: build ctx-NAME into oci:out-NAME and unpack it to b-NAME
build() {
	if $S build -q -o "oci:$T/out-$1:x" "ctx-$1" >"$1.out" 2>"$1.err"; then
		umoci unpack --image "out-$1:x" "b-$1" >/dev/null 2>&1
		return 0
	fi
	return 1
}

# a base whose /loop is a symlink loop, whose /etc/passwd has empty fields
mkdir -p root/etc root/bin
ln -s loop root/loop
printf 'root:x:0:0::/root:/bin/sh\napp::1001:1002::/home/app:/bin/sh\n' >root/etc/passwd
printf 'root:x:0:\ngrp::1003:\n' >root/etc/group
$S import rootfs:"$T/root" edge:1 >/dev/null || { fail setup "import failed"; exit 0; }

mkdir -p ctx-loop && echo a >ctx-loop/a
printf 'FROM edge:1\nCOPY a /loop/x\n' >ctx-loop/Dockerfile
check_err symlink-loop-copy 'strata: ctx-loop/Dockerfile:2:1: COPY /loop/x: too many levels of symbolic links' $S build -q ctx-loop
printf 'FROM edge:1\nWORKDIR /loop/x\n' >ctx-loop/Dockerfile
check_err symlink-loop-workdir 'strata: ctx-loop/Dockerfile:2:1: WORKDIR /loop/x/.keep: too many levels of symbolic links' $S build -q ctx-loop

mkdir -p ctx-pw && echo a >ctx-pw/a
printf 'FROM edge:1\nCOPY --chown=app a /u\nCOPY --chown=app:grp a /g\n' >ctx-pw/Dockerfile
build pw && [ "$(stat -c %u:%g b-pw/rootfs/u b-pw/rootfs/g | tr '\n' ' ')" = "1001:1002 1001:1003 " ] &&
	ok passwd-empty-fields || fail passwd-empty-fields "$(cat pw.err; stat -c '%n %u:%g' b-pw/rootfs/u b-pw/rootfs/g)"

# an image's /etc/passwd that points at the host's is read inside the image, never on the host
mkdir -p root2/etc && ln -s /etc/passwd root2/etc/passwd
$S import rootfs:"$T/root2" edge:2 >/dev/null
mkdir -p ctx-hostpw && echo a >ctx-hostpw/a
printf 'FROM edge:2\nCOPY --chown=daemon a /x\n' >ctx-hostpw/Dockerfile
check_err passwd-not-host 'strata: ctx-hostpw/Dockerfile:2:1: unable to find user daemon: no etc/passwd in the image' $S build -q ctx-hostpw

# .dockerignore'd files stay out, symlinks to them too
mkdir -p ctx-ign/secretdir && echo TOPSECRET >ctx-ign/secret.txt && echo key >ctx-ign/secretdir/key
ln -s secret.txt ctx-ign/link && ln -s secretdir ctx-ign/dlink
printf 'secret.txt\nsecretdir\n' >ctx-ign/.dockerignore
printf 'FROM edge:1\nCOPY link /leak\n' >ctx-ign/Dockerfile
check_err ignore-symlink-file 'strata: ctx-ign/Dockerfile:2:1: link: not found in the build context (excluded by .dockerignore)' $S build -q ctx-ign
printf 'FROM edge:1\nCOPY dlink/key /leak\n' >ctx-ign/Dockerfile
check_err ignore-symlink-dir 'strata: ctx-ign/Dockerfile:2:1: dlink/key: not found in the build context (excluded by .dockerignore)' $S build -q ctx-ign
printf 'FROM edge:1\nCOPY */key /x/\n' >ctx-ign/Dockerfile
check_err ignore-wildcard 'strata: ctx-ign/Dockerfile:2:1: */key: no source files match in the build context' $S build -q ctx-ign

# --exclude applies to the matched sources themselves (the reference's own example)
mkdir -p ctx-ex && echo 1 >ctx-ex/home.txt && echo 2 >ctx-ex/homework.txt && echo 3 >ctx-ex/home.md
printf 'FROM edge:1\nCOPY --exclude=*.txt hom* /mydir/\n' >ctx-ex/Dockerfile
build ex && [ "$(ls b-ex/rootfs/mydir | tr '\n' ' ')" = "home.md " ] && ok exclude-matches || fail exclude-matches "$(cat ex.err; ls b-ex/rootfs/mydir)"

# a directory's contents onto an existing file: refused, as docker does
mkdir -p ctx-dirfile/d && echo a >ctx-dirfile/d/a
printf 'FROM edge:1\nCOPY d /etc/passwd\n' >ctx-dirfile/Dockerfile
check_err dir-onto-file 'strata: ctx-dirfile/Dockerfile:2:1: COPY: cannot copy a directory to /etc/passwd: it exists and is not a directory' $S build -q ctx-dirfile

# the same layer twice, and more layers than one overlay mount's options could name
mkdir -p ctx-dup && echo a >ctx-dup/a
{ echo 'FROM edge:1'; i=0; while [ $i -lt 80 ]; do echo "COPY a /a"; i=$((i + 1)); done; echo 'COPY a /b'; } >ctx-dup/Dockerfile
build dup && [ -f b-dup/rootfs/b ] && ok many-and-repeated-layers || fail many-and-repeated-layers "$(cat dup.err)"

# USER by name on an image without /etc/passwd: WORKDIR makes root's directories, as BuildKit
mkdir -p ctx-wd
printf 'FROM scratch\nUSER app\nWORKDIR /app\n' >ctx-wd/Dockerfile
$S build -q -o "oci:$T/out-wd:x" ctx-wd >wd.out 2>wd.err && umoci raw unpack --image out-wd:x r-wd >/dev/null 2>&1
[ "$(stat -c %u:%g r-wd/app 2>&1)" = 0:0 ] && ok workdir-unknown-user || fail workdir-unknown-user "$(cat wd.err; stat -c %u:%g r-wd/app 2>&1)"

# HEALTHCHECK durations as Go parses them
mkdir -p ctx-hc
for d in infs 0x10s 1e30s . .5 -1s 99999999999h 5; do
	printf 'FROM scratch\nHEALTHCHECK --interval=%s CMD true\n' "$d" >ctx-hc/Dockerfile
	check_err "healthcheck-duration:$d" "strata: ctx-hc/Dockerfile:2:13: invalid duration for --interval: $d" $S parse --json ctx-hc/Dockerfile
done
printf 'FROM scratch\nHEALTHCHECK --interval=1h2m3.5s --timeout=1.5ms CMD true\n' >ctx-hc/Dockerfile
$S build -q -o "oci:$T/out-hc:x" ctx-hc >hc.out 2>hc.err
skopeo inspect --config --raw oci:"$T/out-hc:x" >hc.json 2>&1
grep -q '"Interval":3723500000000' hc.json && grep -q '"Timeout":1500000' hc.json &&
	ok healthcheck-ns || fail healthcheck-ns "$(cat hc.err hc.json)"

# hard links key by their structure, not inode numbers: a cp -a of the context hits the cache
mkdir -p ctx-hl && echo x >ctx-hl/f && ln ctx-hl/f ctx-hl/g
printf 'FROM scratch\nCOPY . /hl/\n' >ctx-hl/Dockerfile
$S build -q ctx-hl >hl1.out 2>/dev/null
cp -a ctx-hl ctx-hl2
$S build ctx-hl2 >hl2.out 2>hl2.err
[ "$(cut -c8-19 hl1.out)" = "$(sed -n 's/^built \([0-9a-f]*\) .*/\1/p' hl2.err)" ] && grep -q '(cached)' hl2.err && ok hardlink-key || fail hardlink-key "$(cat hl2.err)"
build hl && [ "$(stat -c %i b-hl/rootfs/hl/f)" = "$(stat -c %i b-hl/rootfs/hl/g)" ] && ok hardlink-kept || fail hardlink-kept "not linked"

check_err epoch-bound 'strata: SOURCE_DATE_EPOCH=99999999999999999: after the year 9999' env SOURCE_DATE_EPOCH=99999999999999999 $S build -q ctx-hl
