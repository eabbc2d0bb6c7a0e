#!/bin/sh
# checks: 12
# t8010: the context's stat cache (issue 12 item 4) never serves a stale hash: a touch alone is a
# step cache hit with the same digest, a same-size edit with its mtime put back is seen (ctime),
# a file swapped for a symlink or a directory is seen, and an edit in the same second as the
# build that hashed it is seen on a file system with 1-second times (git's racy-clean rule).
# Every digest is compared with a build of the same context in a fresh store.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir -p ctx/d ctx/e
printf 'FROM scratch\nCOPY . /x\n' >ctx/Dockerfile
i=0
while [ $i -lt 50 ]; do echo "file $i" >ctx/d/f$i; i=$((i + 1)); done
echo aaaa >ctx/e/same
# the files must be older than the build's start (by the 2-s granule) for entries to be trusted
sleep 2.1

# b: build ctx with the test's store; ref: the same context in a fresh store (no stat cache)
b() { rm -f "$T/iid"; $STRATA build --progress plain --iidfile "$T/iid" "$@" ctx 2>"$T/progress" && cat "$T/iid"; }
ref() { rm -rf "$T/ref"; STRATA_STORE=$T/ref $STRATA build -q ctx; }

d1=$(b) && [ -n "$d1" ] && [ "$d1" = "$(ref)" ] && ok first-build || fail first-build "$d1 vs $(ref)"
[ "$(stat -c %a "$STRATA_STORE/statcache")" = 700 ] && [ "$(stat -c %a "$STRATA_STORE"/statcache/*)" = 600 ] &&
	ok cache-file-private || fail cache-file-private "$(ls -la "$STRATA_STORE/statcache")"

# touch only: the step is a cache hit and the image the same
touch ctx/d/* ctx/e/same
d2=$(b)
[ "$d2" = "$d1" ] && grep -q 'COPY . /x (cached)' "$T/progress" && ok touch-cache-hit ||
	fail touch-cache-hit "$d2 vs $d1: $(cat "$T/progress")"

# a same-size edit with the mtime put back: only ctime says it changed
sleep 2.1
d3=$(b)
cp -p ctx/e/same mtime.ref
echo bbbb >ctx/e/same
touch -r mtime.ref ctx/e/same
[ "$(stat -c '%s %y' ctx/e/same)" = "$(stat -c '%s %y' mtime.ref)" ] || fail setup "mtime not restored"
d4=$(b)
r4=$(ref)
[ "$d3" = "$d1" ] && [ "$d4" != "$d1" ] && [ "$d4" = "$r4" ] && ok ctime-edit-seen ||
	fail ctime-edit-seen "$d4, want $r4 (before $d1)"

# swapped for a symlink (to a file of the same content) and for a directory
cp ctx/d/f7 ctx/f7.copy
rm ctx/d/f7 && ln -s ../f7.copy ctx/d/f7
d5=$(b)
[ "$d5" = "$(ref)" ] && [ "$d5" != "$d4" ] && ok symlink-swap-seen || fail symlink-swap-seen "$d5 vs $(ref)"
rm ctx/d/f7 && mkdir ctx/d/f7
d6=$(b)
[ "$d6" = "$(ref)" ] && [ "$d6" != "$d5" ] && ok dir-swap-seen || fail dir-swap-seen "$d6 vs $(ref)"
rmdir ctx/d/f7 && cp ctx/f7.copy ctx/d/f7 && rm ctx/f7.copy

# a context read from standard input is a new directory each time: no cache is kept for it
n=$(ls "$STRATA_STORE/statcache" | wc -l)
(cd ctx && tar -cf - .) | $STRATA build -q - >/dev/null 2>err && [ "$(ls "$STRATA_STORE/statcache" | wc -l)" = "$n" ] &&
	ok stdin-context-no-cache || fail stdin-context-no-cache "$(cat err; ls "$STRATA_STORE/statcache")"

# the entries of files gone are dropped when the cache is written again
rm ctx/d/f1*
echo new >ctx/d/f2
b >/dev/null
lines=$(($(cat "$STRATA_STORE"/statcache/* | wc -l) - 1))
want=$(find ctx -type f | wc -l)
[ "$lines" = "$want" ] && ok gone-entries-dropped || fail gone-entries-dropped "$lines entries for $want files"

# a file system with 1-second times: an edit in the second of the build that hashed the file
# leaves its stat as the cache has it; only the racy rule sees it
if [ "$(id -u)" != 0 ] || ! need unshare mkfs.ext4 mount; then
	skip racy:mount "needs root, unshare, mkfs.ext4 and a loop device"
	skip racy:same-second-edit "needs root, unshare, mkfs.ext4 and a loop device"
	skip racy:next-build "needs root, unshare, mkfs.ext4 and a loop device"
	skip racy:cache-hit-after "needs root, unshare, mkfs.ext4 and a loop device"
	exit 0
fi
truncate -s 32M fs.img && mkfs.ext4 -q -F -I 128 fs.img 2>/dev/null
export T
unshare -m sh -eu <<'EOF'
S=$STRATA
cd "$T"
mkdir mnt
mount -o loop fs.img mnt 2>/dev/null || { echo "skip racy:mount: no loop device"; for c in same-second-edit next-build cache-hit-after; do echo "skip racy:$c: no loop mount"; done; exit 0; }
echo "ok racy:mount"
mkdir mnt/ctx
printf 'FROM scratch\nCOPY f /f\n' >mnt/ctx/Dockerfile
echo aaaa >mnt/ctx/f
sleep 2.1
ref() { rm -rf "$T/ref"; STRATA_STORE=$T/ref $S build -q mnt/ctx; }
before=$(ref)
# write, build (hash) and edit (same size, same inode) in one second of the clock, so that the
# edit leaves the stat the cache took; retried when the clock ticks in between
tries=0 ok=
while [ $tries -lt 6 ] && [ -z "$ok" ]; do
	tries=$((tries + 1))
	while [ "$(date +%N | cut -c1)" != 0 ]; do sleep 0.05; done
	s=$(date +%s)
	echo aaaa >mnt/ctx/f
	da=$($S build -q mnt/ctx)
	echo bbbb >mnt/ctx/f
	[ "$(stat -c %Y mnt/ctx/f)" = "$s" ] && [ "$(date +%s)" = "$s" ] && ok=1
done
[ -n "$ok" ] && [ "$da" = "$before" ] && echo "ok racy:same-second-edit" ||
	echo "FAIL racy:same-second-edit: could not build and edit within one second ($tries tries)"
db=$($S build -q mnt/ctx)
want=$(ref)
[ "$db" = "$want" ] && [ "$db" != "$da" ] && echo "ok racy:next-build" ||
	echo "FAIL racy:next-build: $db, want $want (stale $da)"
# once the edit is older than a build's start, the entry is trusted and the file not opened
sleep 2.1
$S build -q mnt/ctx >/dev/null
dc=$($S build -q mnt/ctx)
[ "$dc" = "$want" ] && echo "ok racy:cache-hit-after" || echo "FAIL racy:cache-hit-after: $dc, want $want"
umount mnt
EOF
