#!/bin/sh
# checks: 4
# ninja/meson: a Meson project that compiles a program and builds the image that COPYs it
# through strata gen --ninja; nothing changed runs no step, a changed program rebuilds from its
# COPY on, and the image equals strata build's
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need meson ninja cc || { skip graph-meson "meson, ninja or cc missing"; exit 0; }
printf 'int main(void){return 0;}\n' >static.c
cc -static -o static static.c 2>/dev/null || { skip graph-meson "cc cannot link statically (libc6-dev)"; exit 0; }
export STRATA_GRAPH_LOG="$T/log"
cp -r "$top/ninja/meson" src
meson setup build src -Dstrata="$S" >meson.out 2>&1 && meson compile -C build >>meson.out 2>&1 &&
	[ -s build/hello.tar ] && ok meson-build || fail meson-build "$(tail -c 400 meson.out)"
rm -f log
meson compile -C build >meson.out 2>&1
[ ! -s log ] && ok meson-noop || fail meson-noop "ran $(tr '\n' ' ' <log 2>/dev/null)"
sed -i 's/hi from meson/hello again from meson/' src/hello.c
rm -f log
meson compile -C build >meson.out 2>&1
got=$(sed -n 's/^exec //p' log 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "0.1 0.2 " ] && ok meson-program-changed || fail meson-program-changed "executors ran for [$got] $(tail -c 300 meson.out)"
want=$($S build -q -f src/Dockerfile build/images/ctx 2>/dev/null)
got=$($S inspect -f '{{.Id}}' "$(cat build/images/.strata/images.ninja/image)" 2>/dev/null)
[ -n "$want" ] && [ "$want" = "$got" ] && ok meson-digest || fail meson-digest "graph $got, strata build $want"
