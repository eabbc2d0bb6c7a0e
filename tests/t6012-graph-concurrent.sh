#!/bin/sh
# checks: 8
# two independent Makefiles and a build.ninja building on one store at the same time (make -j4
# each, started together), sharing identical layers and each with its own: every image is
# strata build's, every blob verifies, and after strata gc each graph rebuilds the same image
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make ninja sha256sum || { skip graph-concurrent "make, ninja or sha256sum missing"; exit 0; }
head -c 6000000 /dev/urandom >shared.bin
for p in p1 p2 p3; do
	mkdir -p $p/ctx/dir
	cp shared.bin $p/ctx/shared.bin
	head -c 3000000 /dev/urandom >$p/ctx/own.bin
	for i in 1 2 3 4 5 6; do echo "$p $i" >$p/ctx/dir/f$i; echo "same $i" >$p/ctx/s$i; done
	# two stages in parallel, each with a layer the other projects have too
	cat >$p/ctx/Dockerfile <<DF
FROM scratch AS one
COPY shared.bin /shared.bin
COPY s1 s2 s3 /s/
COPY own.bin /own.bin
FROM scratch AS two
COPY s4 s5 s6 /s/
COPY dir/ /dir/
FROM one
COPY --from=two /dir /dir
COPY --from=two /s /s2
LABEL project=$p
DF
done
(cd p1 && $S gen --make Makefile ctx) >gen.out 2>&1 && (cd p2 && $S gen --make Makefile ctx) >>gen.out 2>&1 &&
	(cd p3 && $S gen --ninja build.ninja ctx) >>gen.out 2>&1 && ok concurrent-gen || fail concurrent-gen "$(tail -c 300 gen.out)"
together() {
	make -C p1 -j4 >p1.out 2>&1 &
	a=$!
	make -C p2 -j4 >p2.out 2>&1 &
	b=$!
	(cd p3 && ninja -j4) >p3.out 2>&1 &
	c=$!
	wait $a && wait $b && wait $c
}
together && ok concurrent-build || fail concurrent-build "$(tail -c 300 p1.out p2.out p3.out)"
same() {
	bad=
	for p in p1 p2 p3; do
		f=$p/.strata/Makefile/image
		[ $p = p3 ] && f=$p/.strata/build.ninja/image
		want=$($S build -q $p/ctx 2>/dev/null)
		got=$($S inspect -f '{{.Id}}' "$(cat $f 2>/dev/null)" 2>/dev/null)
		[ -n "$want" ] && [ "$want" = "$got" ] || bad="$bad $p: graph $got, strata build $want;"
	done
	[ -z "$bad" ] && ok "$1" || fail "$1" "$bad"
}
same concurrent-digests
verify() {
	bad=$(cd "$STRATA_STORE/blobs/sha256" && for f in *; do [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$f" ] || echo "$f"; done)
	[ -z "$bad" ] && ok "$1" || fail "$1" "$bad"
}
verify concurrent-blobs-verify
# gc, then all three again at once: each step looks its result up again or rebuilds it
check concurrent-gc $S gc
together && ok concurrent-rebuild || fail concurrent-rebuild "$(tail -c 300 p1.out p2.out p3.out)"
same concurrent-digests-after-gc
verify concurrent-blobs-verify-after-gc
