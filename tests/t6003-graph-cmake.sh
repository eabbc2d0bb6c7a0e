#!/bin/sh
# checks: 4
# ninja/cmake: a CMake project (Ninja generator) that compiles a program and builds the image
# that COPYs it through strata gen --ninja; nothing changed runs no step, a changed program
# rebuilds from its COPY on, and the image equals strata build's
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need cmake ninja cc || { skip graph-cmake "cmake, ninja or cc missing"; exit 0; }
printf 'int main(void){return 0;}\n' >static.c
cc -static -o static static.c 2>/dev/null || { skip graph-cmake "cc cannot link statically (libc6-dev)"; exit 0; }
export STRATA_GRAPH_LOG="$T/log"
cp -r "$top/ninja/cmake" src
cmake -S src -B build -G Ninja -DSTRATA="$S" >cmake.out 2>&1 && cmake --build build >>cmake.out 2>&1 &&
	[ -s build/hello.tar ] && ok cmake-build || fail cmake-build "$(tail -c 400 cmake.out)"
rm -f log
cmake --build build >cmake.out 2>&1
[ ! -s log ] && ok cmake-noop || fail cmake-noop "ran $(tr '\n' ' ' <log 2>/dev/null)"
sed -i 's/hi from cmake/hello again from cmake/' src/hello.c
rm -f log
cmake --build build >cmake.out 2>&1
got=$(sed -n 's/^exec //p' log 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "0.1 0.2 " ] && ok cmake-program-changed || fail cmake-program-changed "executors ran for [$got]"
want=$($S build -q -f src/Dockerfile build/ctx 2>/dev/null)
got=$($S inspect -f '{{.Id}}' "$(cat build/.strata/images.ninja/image)" 2>/dev/null)
[ -n "$want" ] && [ "$want" = "$got" ] && ok cmake-digest || fail cmake-digest "graph $got, strata build $want"
