#!/bin/sh
# checks: 5
# disk space: rmi then gc gives back the space of a 1 GB image (measured with
# du on the store) and says how much it freed; a built image's blobs stay for
# its step results until gc --all.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
free=$(df -Pk "$T" | awk 'NR == 2 {print $4}')
if [ "${free:-0}" -lt 3500000 ]; then
	skip t7004 "needs 3.5 GB free in $T"
	exit 0
fi
mkdir -p root/data ctx
head -c 1073741824 /dev/urandom >root/data/big
du0=$(du -sk "$STRATA_STORE" 2>/dev/null | cut -f1)
$S import rootfs:root big >/dev/null 2>"$T/err" || fail import "$(cat "$T/err")"
rm -rf root
du1=$(du -sk "$STRATA_STORE" | cut -f1)
[ "$((du1 - ${du0:-0}))" -gt 1000000 ] && ok store-holds-1g || fail store-holds-1g "du $du0 -> $du1"
$S rmi big >/dev/null 2>"$T/err" || fail rmi "$(cat "$T/err")"
$S gc >gc.out 2>"$T/err"
du2=$(du -sk "$STRATA_STORE" | cut -f1)
[ "$((du1 - du2))" -gt 1000000 ] && [ "$du2" -lt 10000 ] && ok gc-returns-1g || fail gc-returns-1g "du $du1 -> $du2 $(cat gc.out "$T/err")"
echo "# store: ${du0:-0} kB empty, $du1 kB with the 1 GB image, $du2 kB after rmi + gc: $(cat gc.out)"
n=$(sed -n 's/^freed 1.0[0-9]GB (\([0-9]*\) bytes)$/\1/p' gc.out)
[ "${n:-0}" -gt 1073741824 ] && ok gc-says-1g || fail gc-says-1g "$(cat gc.out)"

# a built image: its step results keep it from gc, gc --all lets it go
printf 'FROM scratch\nCOPY f /f\n' >ctx/Dockerfile && head -c 20000000 /dev/urandom >ctx/f
$S build -q -t small ctx >/dev/null 2>"$T/err" && $S rmi small >/dev/null && $S gc >gc2.out
du3=$(du -sk "$STRATA_STORE" | cut -f1)
[ "$du3" -gt 19000 ] && grep -q '^freed 0B (0 bytes)$' gc2.out && ok gc-keeps-results || fail gc-keeps-results "du $du3 $(cat gc2.out "$T/err")"
$S gc --all >gc3.out
du4=$(du -sk "$STRATA_STORE" | cut -f1)
[ "$du4" -lt 10000 ] && grep -q '^freed 20\(\.0\)\?MB (' gc3.out && ok gc-all-returns || fail gc-all-returns "du $du4 $(cat gc3.out)"
