#!/bin/sh
# checks: 7
# t5120-run-adopt: a root RUN's overlay upper becomes the store's directory of the layer it was
# written as (dirs/layer/DIFFID), which the next step mounts, instead of the blob being extracted
# again. The adopted directory must be what extracting the blob gives: the same entries, types,
# modes, owners, sizes, contents, link targets, hard links, mtimes (the epoch; the top and the
# whiteouts excepted, whose times neither sets), and extended attributes (the capability and the
# opaque mark only: not what the command set, not overlayfs's own, not the host's). A later RUN
# sees the same tree either way: the image of a --no-cache build with extraction forced
# (STRATA_NO_ADOPT) has the same digest. What the sandbox adds shows no time of the build either:
# the stubs made for mount points (/etc of an image without /etc/hosts) and the files mounted
# there have the parent's times or the epoch.
. "$(dirname "$0")/lib.sh"
cc=${CC:-cc}
run_needs t5120 python3 "$cc"
busybox_base t5120
mkdir ctx
xattr_fixtures t5120 ctx
cat >ctx/Dockerfile <<'DF'
FROM base:1
COPY plain /plain
COPY setcap /setcap
RUN mkdir -p /a/b /gone/sub /keep && echo x >/a/b/f && ln /a/b/f /a/hard && ln -s b/f /a/sym && mkfifo /a/fifo && echo y >/gone/sub/g && chmod 4755 /a/b/f && echo more >>/plain && echo k >/keep/k
RUN rm -rf /gone && mkdir /gone && echo new >/gone/n && rm /a/sym && mv /a/b /a/c && /setcap /a/c/f /a/hard && chmod 700 /a && rm /keep/k && touch /keep
RUN mkdir /out && find / -mindepth 1 -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /out \) -prune -o -exec stat -c '%n %F %a %u %g %s %Y %h' {} + | sort >/out/listing
DF
if $S build -q --network=none -t adopt:1 ctx >a.out 2>a.err; then ok t5120/build; else fail t5120/build "$(head -c 300 a.err)"; exit 0; fi
# the layers of the three RUNs, adopted: set aside, then extracted from their blobs
ls "$STRATA_STORE/dirs/layer" >adopted.list
mkdir adopted
cp -a "$STRATA_STORE/dirs/layer/." adopted/
rm -rf "$STRATA_STORE/dirs"
$S run --rm --network=none adopt:1 true >r.out 2>r.err || fail t5120/extract "$(head -c 300 r.err)"
python3 - adopted "$STRATA_STORE/dirs/layer" >cmp.out 2>&1 <<'PY'
import os, stat, sys
want_root, got_root = sys.argv[1], sys.argv[2]
def tree(root):
    out, inodes = {}, {}
    for d, dirs, files in os.walk(root):
        for name in [""] + dirs + files:
            if name == "" and d != root:
                continue
            p = os.path.join(d, name) if name else d
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            m = st.st_mode
            # overlayfs links its whiteouts to one inode: no hard-link group of theirs counts
            whiteout = stat.S_ISCHR(m) and st.st_rdev == 0
            x = {k: os.getxattr(p, k, follow_symlinks=False).hex() for k in os.listxattr(p, follow_symlinks=False)}
            first = inodes.setdefault((st.st_dev, st.st_ino), rel) if not stat.S_ISDIR(m) and not whiteout else rel
            e = (stat.S_IFMT(m), stat.S_IMODE(m), st.st_uid, st.st_gid, st.st_size if stat.S_ISREG(m) else 0,
                 None if rel == "." or whiteout else st.st_mtime_ns, st.st_rdev, sorted(x.items()), first,
                 os.readlink(p) if stat.S_ISLNK(m) else None,
                 open(p, "rb").read() if stat.S_ISREG(m) else None)
            out[rel] = e
    return out
bad = 0
layers = sorted(os.listdir(want_root))
for h in layers:
    w, g = tree(os.path.join(want_root, h)), tree(os.path.join(got_root, h))
    for rel in sorted(set(w) | set(g)):
        if w.get(rel) != g.get(rel):
            bad += 1
            print("differs", h[:12], rel, "adopted", w.get(rel), "extracted", g.get(rel))
print("layers", len(layers), "differences", bad)
PY
# the base's layer and the two COPYs' (extracted for the first RUN), and the three RUNs' layers (adopted)
grep -q "^layers 6 differences 0$" cmp.out && ok t5120/adopted-is-extracted || fail t5120/adopted-is-extracted "$(head -c 1500 cmp.out)"
# nothing but the capability and the opaque mark survived in the adopted directories
python3 - adopted >x.out <<'PY'
import os, sys
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs + files:
        p = os.path.join(d, n)
        for k in os.listxattr(p, follow_symlinks=False):
            print(os.path.relpath(p, sys.argv[1]).split("/", 1)[1], k)
PY
sort x.out >xs.out
printf '%s\n' 'a/c/f security.capability' 'a/hard security.capability' 'gone trusted.overlay.opaque' | sort >xw.out
cmp -s xs.out xw.out && ok t5120/attributes || fail t5120/attributes "$(cat xs.out)"
d1=$($S inspect --format '{{.Id}}' adopt:1 2>&1)
if STRATA_NO_ADOPT=1 $S build -q --no-cache --network=none -t extract:1 ctx >b.out 2>b.err; then ok t5120/build-extracting; else fail t5120/build-extracting "$(head -c 300 b.err)"; fi
d2=$($S inspect --format '{{.Id}}' extract:1 2>&1)
[ -n "$d1" ] && [ "$d1" = "$d2" ] && ok t5120/same-image || fail t5120/same-image "adopting $d1, extracting $d2"
# the listing the last RUN made (of all but the top, which making /out changed): every mtime the epoch
# (the stubs for /etc/hosts and such, and the files mounted there, show the epoch too)
$S run --rm --network=none adopt:1 cat /out/listing >listing 2>l.err
grep -q '^/a/c/f regular file 4755 0 0 2 0 1$' listing && grep -q '^/etc/hosts regular file 644 0 0 ' listing &&
	! awk '$(NF-1) != 0 && $1 != "/" { print; bad = 1 } END { exit !bad }' listing >late.out &&
	ok t5120/later-run-sees-epoch || fail t5120/later-run-sees-epoch "$(head -c 600 listing) $(cat late.out l.err)"

# hostile: a RUN that makes files named as whiteouts. The blob's extraction takes them for
# whiteouts (as docker's does), so the upper holding them as plain files is not adopted: the next
# step sees what it sees when every layer is extracted, and no store directory holds such a file.
mkdir ctx2
printf 'FROM base:1\nRUN mkdir -p /d/e && touch /d/e/f /.wh.d /d/.wh..wh..opq\nRUN ls -aR /d /bin >/seen\n' >ctx2/Dockerfile
h1=$($S build -q --network=none ctx2 2>h1.err)
h2=$(STRATA_NO_ADOPT=1 $S build -q --no-cache --network=none ctx2 2>h2.err)
plain=$(find "$STRATA_STORE/dirs" -type f -name '.wh.*' | head -3)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ -z "$plain" ] && ok t5120/whiteout-named-files-not-adopted ||
	fail t5120/whiteout-named-files-not-adopted "adopting $h1, extracting $h2, plain whiteout files: $plain $(cat h1.err h2.err)"
