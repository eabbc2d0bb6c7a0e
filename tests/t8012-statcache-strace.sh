#!/bin/sh
# checks: 8
# t8012: a warm build reads no source whose stat did not change, counted with strace: no open
# of any context file when nothing changed (with a .dockerignore too), each touched file opened
# once (hashed, not written: the step is a cache hit), and after one file changed that file
# alone is opened (hashed on a helper thread, then opened again by the layer writer, which
# checks it is the file hashed). A cold build opens each file those two times. The key of a RUN
# with a bind mount of the context takes its hashes from the cache too.
. "$(dirname "$0")/lib.sh"
need strace || { skip t8012 "needs strace"; exit 0; }
# LeakSanitizer cannot run under ptrace
no_leak_check
cd "$T" || exit 1
mkdir -p ctx/many ctx/one ctx/many/skip
i=0
while [ $i -lt 300 ]; do echo "file $i" >ctx/many/src8012-$i; i=$((i + 1)); done
echo ignored >ctx/many/skip/src8012-ignored
echo one >ctx/one/src8012-one
printf 'many/skip\n' >ctx/.dockerignore
printf 'FROM scratch\nCOPY many /many\nCOPY one /one\n' >ctx/Dockerfile
sleep 2.1

# opens: build under strace; the number of opens of the context's src8012-* files for reading
# (the store's extraction of a layer for the next step writes files of those names too)
opens() {
	strace -f -e trace=open,openat,openat2 -o "$T/trace" $STRATA build -q ctx >"$T/digest" 2>"$T/err" ||
		{ cat "$T/err"; return 1; }
	grep 'src8012-' "$T/trace" | grep -v -e O_CREAT -e O_WRONLY -e O_RDWR >"$T/reads"
	wc -l <"$T/reads"
}
n=$(opens) && [ "$n" = 602 ] && ok cold-opens-each-twice || fail cold-opens-each-twice "$n opens, want 602 (hashed, then the layer)"
d1=$(cat digest)
n=$(opens) && [ "$n" = 0 ] && [ "$(cat digest)" = "$d1" ] && ok warm-opens-none || fail warm-opens-none "$n opens: $(head -3 reads)"

touch ctx/many/* ctx/one/*
n=$(opens) && [ "$n" = 301 ] && [ "$(cat digest)" = "$d1" ] && ok touched-opens-each-once ||
	fail touched-opens-each-once "$n opens, want 301"
# the touch was in this build's 2-s granule: its entries are racily clean and hashed once more
sleep 2.1
opens >/dev/null
n=$(opens) && [ "$n" = 0 ] && ok touched-then-warm-opens-none || fail touched-then-warm-opens-none "$n opens"

echo changed >ctx/one/src8012-one
n=$(opens) && [ "$n" = 2 ] && [ "$(grep -c src8012-one reads)" = 2 ] && ok one-change-opens-its-file ||
	fail one-change-opens-its-file "$n opens: $(head -5 reads)"
[ "$(cat digest)" != "$d1" ] && ok one-change-new-image || fail one-change-new-image "same digest $d1"

# a RUN's bind mount of the context: its key hashes the files as COPY does, through the cache
if [ "$(id -u)" != 0 ] || ! need busybox; then
	skip run-bind-warm-opens-none "needs root and busybox"
	skip run-bind-edit-seen "needs root and busybox"
	exit 0
fi
STRATA=$STRATA sh "$top/examples/base/busybox.sh" base:1 >base.log 2>&1 || { fail setup "$(tail -c 300 base.log)"; exit 0; }
printf 'FROM base:1\nRUN --mount=type=bind,source=many,target=/m cat /m/src8012-5 >/got\n' >ctx/Dockerfile
$STRATA build -q --network=none ctx >/dev/null 2>err || fail setup "$(cat err)"
sleep 2.1
$STRATA build -q --network=none ctx >/dev/null
n=$(opens) && [ "$n" = 0 ] && ok run-bind-warm-opens-none || fail run-bind-warm-opens-none "$n opens: $(head -3 reads)"
d=$(cat digest)
echo edited >ctx/many/src8012-5
strace -f -e trace=open,openat,openat2 -o "$T/trace" $STRATA build -q --network=none ctx >"$T/digest" 2>"$T/err"
[ -s digest ] && [ "$(cat digest)" != "$d" ] && ok run-bind-edit-seen || fail run-bind-edit-seen "$(cat digest err)"
