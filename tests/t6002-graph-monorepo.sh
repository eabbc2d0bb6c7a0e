#!/bin/sh
# checks: 14
# examples/monorepo: one Makefile (and one build.ninja) compiles a C program and builds three
# images sharing a base stage; the program changing rebuilds only the image that COPYs it;
# Make, Ninja and strata build agree on every digest; the images run in podman.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make ninja cc skopeo || { skip graph-monorepo "make, ninja, cc or skopeo missing"; exit 0; }
printf 'int main(void){return 0;}\n' >static.c
cc -static -o static static.c 2>/dev/null || { skip graph-monorepo "cc cannot link statically (libc6-dev)"; exit 0; }
export STRATA_GRAPH_LOG="$T/log"
execs() { [ -f "$T/log" ] && sed -n 's/^exec //p' "$T/log" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
cp -r "$top/examples/monorepo" mk
cp -r "$top/examples/monorepo" nj
M="make -C mk -j2 STRATA=$S STRATA_MK=$top/make/strata.mk"

# Make
$M >make.out 2>&1 && [ -s mk/out/app.tar ] && [ -s mk/out/web.tar ] && [ -s mk/out/conf.tar ] &&
	ok make-j2 || fail make-j2 "$(tail -c 400 make.out)"
rm -f log
$M >make.out 2>&1
[ ! -s log ] && $M -q >/dev/null 2>&1 && ok make-noop || fail make-noop "ran $(tr '\n' ' ' <log 2>/dev/null)"
web=$(cat mk/.strata/web/image) conf=$(cat mk/.strata/conf/image)
sed -i 's/built beside/compiled beside/' mk/src/hello.c
rm -f log
$M >make.out 2>&1
# the app stage is stage 1: its COPY of the program and what follows
[ "$(execs)" = "1.1 1.2" ] && [ "$web" = "$(cat mk/.strata/web/image)" ] && [ "$conf" = "$(cat mk/.strata/conf/image)" ] &&
	ok make-binary-changed || fail make-binary-changed "executors ran for [$(execs)]"

# Ninja, through subninja, after the same edit
sed -i 's/built beside/compiled beside/' nj/src/hello.c
(cd nj && STRATA=$S ./configure) >ninja.out 2>&1 && (cd nj && ninja) >>ninja.out 2>&1 &&
	ok ninja-build || fail ninja-build "$(tail -c 400 ninja.out)"
rm -f log
(cd nj && ninja -n) | grep -q 'no work to do' && (cd nj && ninja) >ninja.out 2>&1 && [ ! -s log ] &&
	ok ninja-noop || fail ninja-noop "ran $(tr '\n' ' ' <log 2>/dev/null)"
sed -i 's/compiled beside/built beside/' nj/src/hello.c
rm -f log
(cd nj && ninja) >ninja.out 2>&1
[ "$(execs)" = "" ] || [ "$(execs)" = "1.1 1.2" ] && grep -q 'STRATA COPY app/1' ninja.out &&
	! grep -q 'STRATA COPY web/1' ninja.out && ok ninja-binary-changed ||
	fail ninja-binary-changed "$(grep STRATA ninja.out | head -5)"
sed -i 's/built beside/compiled beside/' nj/src/hello.c
(cd nj && ninja) >ninja.out 2>&1

# a Dockerfile edit regenerates the subninja'd graphs and reloads them (the top file is touched)
sed -i 's/LANG=C.UTF-8/LANG=C/' nj/Dockerfile
rm -f log
(cd nj && ninja) >ninja.out 2>&1 && grep -q 'STRATA GEN' ninja.out && grep -q 'STRATA ENV base/4' ninja.out &&
	(cd nj && ninja -n) | grep -q 'no work to do' && ok ninja-subninja-regen || fail ninja-subninja-regen "$(tail -c 300 ninja.out)"
sed -i 's/LANG=C$/LANG=C.UTF-8/' nj/Dockerfile
(cd nj && ninja) >ninja.out 2>&1

# every digest the same: Make, Ninja, strata build
same=yes
for img in app web conf; do
	b=$($S build -q --target $img -f mk/Dockerfile mk 2>/dev/null)
	m=$($S inspect -f '{{.Id}}' "$(cat mk/.strata/$img/image)") n=$($S inspect -f '{{.Id}}' "$(cat nj/.strata/ninja-$img/image)")
	[ "$m" = "$b" ] && [ "$n" = "$b" ] || same="$img: make $m, ninja $n, strata build $b"
done
[ "$same" = yes ] && ok digests || fail digests "$same"

# the images run
if [ -f "$top/tests/podman.sh" ]; then
	. "$top/tests/podman.sh"
	if podman_setup; then
		for img in app web conf; do
			if podman load -i "mk/out/$img.tar" >"load-$img.log" 2>&1; then
				ok "podman-load-$img"
			else
				fail "podman-load-$img" "$(tail -c 300 "load-$img.log")"
			fi
		done
		out=$(podman run --rm --network none localhost/monorepo/app 2>run.err || podman run --rm --network none monorepo/app 2>>run.err)
		[ "$out" = "hello from the monorepo, compiled beside its image" ] && ok podman-run-app || fail podman-run-app "[$out] $(tail -c 200 run.err)"
		out=$(podman run --rm --network none localhost/monorepo/web 2>run.err || podman run --rm --network none monorepo/web 2>>run.err)
		[ "$out" = "<h1>web image</h1>" ] && ok podman-run-web || fail podman-run-web "[$out] $(tail -c 200 run.err)"
		out=$(podman run --rm --network none localhost/monorepo/conf 2>run.err || podman run --rm --network none monorepo/conf 2>>run.err)
		echo "$out" | grep -q 'greeting = hello' && ok podman-run-conf || fail podman-run-conf "[$out] $(tail -c 200 run.err)"
		podman rmi -a -f >/dev/null 2>&1
	else
		for c in load-app load-web load-conf run-app run-web run-conf; do skip "podman-$c" "$podman_why"; done
	fi
fi
exit 0
