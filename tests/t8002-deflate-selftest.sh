#!/bin/sh
# checks: 6
# t8002: the compression self-test. Under an LD_PRELOAD shim whose deflate gives other bytes
# (zlib's own deflate with another strategy, as a zlib-ng or patched zlib would), the first
# layer a build or an import writes stops with the error naming the library, before any image
# is written; --allow-foreign-deflate goes on; without the shim the same build passes.
. "$(dirname "$0")/lib.sh"
need cc || { skip t8002 "needs cc"; exit 0; }
cd "$T" || exit 1
cat >shim.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <zlib.h>
typedef int (*init2)(z_streamp, int, int, int, int, int, const char *, int);
int deflateInit2_(z_streamp s, int level, int method, int wb, int mem, int strategy, const char *v, int sz)
{
	init2 real = (init2)dlsym(RTLD_NEXT, "deflateInit2_");
	(void)strategy;
	return real(s, level, method, wb, mem, Z_FILTERED, v, sz);
}
C
cc -shared -fPIC -o shim.so shim.c -ldl 2>"$T/err" || { skip t8002 "cannot build the shim: $(head -c 200 "$T/err")"; exit 0; }
# the sanitizer build wants its runtime first; the shim only wraps zlib
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
mkdir ctx root
seq 1 50000 >ctx/f
printf 'FROM scratch\nCOPY f /f\n' >ctx/Dockerfile
echo data >root/file
want_msg="deflate self-test failed: zlib $(python3 -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)' 2>/dev/null || echo 1.2.13) gives other bytes than the zlib strata pins (1.2.13): blob digests would differ from other machines' (--allow-foreign-deflate to go on)"

LD_PRELOAD=$T/shim.so $STRATA build --no-cache -q -t foreign ctx >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF "$want_msg" "$T/err"; then ok build-refused; else fail build-refused "exit $rc: $(cat "$T/err")"; fi
$STRATA images 2>/dev/null | grep -q foreign && fail build-no-tag "the image was tagged" || ok build-no-tag
LD_PRELOAD=$T/shim.so $STRATA import rootfs:root foreign-base >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -qF "$want_msg" "$T/err"; then ok import-refused; else fail import-refused "exit $rc: $(cat "$T/err")"; fi
check build-allowed env LD_PRELOAD="$T/shim.so" $STRATA build --allow-foreign-deflate --no-cache -q ctx
check import-allowed env LD_PRELOAD="$T/shim.so" $STRATA import --allow-foreign-deflate rootfs:root foreign-base
check build-plain $STRATA build --no-cache -q ctx
