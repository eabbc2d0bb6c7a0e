# tests/graph.sh: sourced after lib.sh by the graph tests, which count what strata ran through
# STRATA_GRAPH_LOG. graph_suite TOOL (t6000 Make, t6001 Ninja) runs the same checks through either
# tool; graph_project NAME DIR (t6003 CMake, t6013 Meson) those of a build system's project.
# graph_suite's Dockerfile steps: 0.1 COPY a.txt, 0.2 COPY dir/, 0.3 ARG, 0.4 LABEL (uses it), 0.5 ENV, 0.6 CMD.
S=$STRATA
cd "$T" || exit 1

# run the graph; the log holds only this run's lines
g_build() {
	rm -f "$T/log"
	if [ "$tool" = make ]; then make -f "$gfile" >"$T/build.out" 2>&1; else ninja -f "$gfile" >"$T/build.out" 2>&1; fi
}
# the node ids of the steps whose executor ran (not cache hits), space-separated
g_execs() { [ -f "$T/log" ] && sed -n 's/^exec //p' "$T/log" | sort | tr '\n' ' ' | sed 's/ $//'; }
g_verbs() { [ -f "$T/log" ] && cut -d' ' -f1 "$T/log" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
g_gen() { $S gen --$tool "$gfile" --build-arg "V=$1" -o "oci-archive:$T/out.tar" ctx; }
g_same_digest() {
	want=$($S build -q --build-arg "V=$1" ctx 2>/dev/null)
	got=$($S inspect -f '{{.Id}}' "$(cat "$gdir/image" 2>/dev/null)" 2>/dev/null)
	[ -n "$want" ] && [ "$want" = "$got" ] && ok "$tool-$2" || fail "$tool-$2" "graph $got, strata build $want"
}
g_want_execs() {
	got=$(g_execs)
	[ "$got" = "$2" ] && ok "$tool-$1" || fail "$tool-$1" "executors ran for [$got], want [$2]; $(head -c 300 "$T/build.out")"
}

graph_suite() {
	tool=$1
	need "$tool" skopeo || { skip "graph-$tool" "$tool or skopeo missing"; exit 0; }
	gfile=img.$tool
	gdir=.strata/$gfile
	export STRATA_GRAPH_LOG="$T/log"
	mkdir -p ctx/dir
	echo a >ctx/a.txt
	echo one >ctx/dir/one
	printf 'FROM scratch\nCOPY a.txt /a.txt\nCOPY dir/ /dir/\nARG V=1\nLABEL v=${V}\nENV X=1\nCMD ["/x"]\n' >ctx/Dockerfile
	check "$tool-gen" g_gen 1
	g_build && ok "$tool-build" || fail "$tool-build" "$(head -c 400 "$T/build.out")"
	g_same_digest 1 digest
	[ -s "$T/out.tar" ] && skopeo inspect "oci-archive:$T/out.tar" >/dev/null 2>&1 &&
		ok "$tool-output" || fail "$tool-output" "no image in out.tar"

	# nothing changed: no strata process at all, and the tool's dry run agrees
	g_build
	[ ! -s "$T/log" ] && ok "$tool-noop" || fail "$tool-noop" "ran: $(tr '\n' ' ' <"$T/log")"
	if [ "$tool" = make ]; then
		make -q -f "$gfile" && ok make-q || fail make-q "make -q says there is work"
	else
		ninja -n -f "$gfile" | grep -q 'no work to do' && ok ninja-n || fail ninja-n "$(ninja -n -f "$gfile" | head -3)"
	fi

	# every source touched: the hashers run, nothing else
	sleep 0.01
	touch ctx/a.txt ctx/dir ctx/dir/one
	g_build
	# Make settles the graph's mtimes afterwards (one process, no step), so that make -q agrees
	want=hash
	[ "$tool" = make ] && want="hash settle"
	[ "$(g_verbs)" = "$want" ] && ok "$tool-touch" || fail "$tool-touch" "ran: $(tr '\n' ' ' <"$T/log" 2>/dev/null)"
	if [ "$tool" = make ]; then
		make -q -f "$gfile" && ok make-q-after-touch || fail make-q-after-touch "make -q says there is work"
	else
		ninja -n -f "$gfile" | grep -q 'no work to do' && ok ninja-n-after-touch || fail ninja-n-after-touch "$(ninja -n -f "$gfile" | head -3)"
	fi
	g_build
	[ ! -s "$T/log" ] && ok "$tool-touch-noop" || fail "$tool-touch-noop" "ran: $(tr '\n' ' ' <"$T/log")"

	# one copied file changed: the steps from that COPY on
	echo b >ctx/a.txt
	g_build
	g_want_execs changed-file "0.1 0.2 0.3 0.4 0.5 0.6"
	# a file added to a copied directory: that step on
	echo two >ctx/dir/two
	g_build
	g_want_execs added-file "0.2 0.3 0.4 0.5 0.6"
	# the last instruction edited: the graph regenerates, only that step runs
	sed -i 's|CMD \["/x"\]|CMD ["/y"]|' ctx/Dockerfile
	g_build
	g_want_execs last-instruction "0.6"
	# a build arg changed: from its first use on
	g_gen 2 >/dev/null 2>&1
	g_build
	g_want_execs build-arg "0.3 0.4 0.5 0.6"
	g_same_digest 2 digest-after-changes

	# a deleted key, stamp or output is remade, no error
	rm -f "$gdir/0.4.key" "$gdir/0.5.img" "$gdir/0.2.src.stamp" "$T/out.tar"
	g_build && [ -f "$gdir/0.4.key" ] && [ -f "$gdir/0.5.img" ] && [ -s "$T/out.tar" ] && [ -z "$(g_execs)" ] &&
		ok "$tool-deleted" || fail "$tool-deleted" "$(head -c 300 "$T/build.out")"

	# gc rewrites a file every step depends on: each step looks its result up again
	$S gc >/dev/null 2>&1
	g_build
	# (step 0.1, a COPY right after FROM scratch, also looks its layer up again)
	want="hit layer run"
	[ "$tool" = make ] && want="hit layer run settle"
	[ "$(g_verbs)" = "$want" ] && ok "$tool-gc" || fail "$tool-gc" "ran: $(tr '\n' ' ' <"$T/log" 2>/dev/null)"

	# an invalid edit fails the regeneration with the position and keeps the previous graph
	cp "$gfile" "$T/graph.before"
	printf 'COPY\n' >>ctx/Dockerfile
	g_build && fail "$tool-bad-edit" "the build passed" || {
		grep -q "ctx/Dockerfile:8:1: COPY requires at least two arguments" "$T/build.out" &&
			cmp -s "$gfile" "$T/graph.before" && ok "$tool-bad-edit" ||
			fail "$tool-bad-edit" "$(head -c 300 "$T/build.out")"
	}
	sed -i '$d' ctx/Dockerfile
	g_build && [ -z "$(g_execs)" ] && ok "$tool-fixed" || fail "$tool-fixed" "$(head -c 300 "$T/build.out")"

	# a failing step names its Dockerfile line
	printf 'COPY --chown=nobody a.txt /m\n' >>ctx/Dockerfile
	g_build
	grep -q "^strata: ctx/Dockerfile:8:1: unable to find user nobody" "$T/build.out" && ok "$tool-step-error" ||
		fail "$tool-step-error" "$(head -c 300 "$T/build.out")"
	sed -i '$d' ctx/Dockerfile

	# interrupted while a layer is written (SIGINT, then SIGKILL), then run again: the same image
	head -c 40000000 /dev/urandom >ctx/big.bin
	printf 'COPY big.bin /big.bin\n' >>ctx/Dockerfile
	if [ "$tool" = make ]; then
		timeout -s INT 0.7 make -f "$gfile" >/dev/null 2>&1
		timeout -s KILL 0.7 make -f "$gfile" >/dev/null 2>&1
	else
		timeout -s INT 0.7 ninja -f "$gfile" >/dev/null 2>&1
		timeout -s KILL 0.7 ninja -f "$gfile" >/dev/null 2>&1
	fi
	g_build
	g_same_digest 2 interrupted
}

# graph_project NAME DIR: ninja/NAME, a NAME project (copied to src) that compiles a static program
# and builds through strata gen --ninja the image that COPYs it, configured and built into build/
# by the caller's p_setup and built again by its p_build; DIR is where in build/ the image's ctx
# and .strata/images.ninja are. Nothing changed runs no step, a changed program reruns from its
# COPY on, and the image equals strata build's.
graph_project() {
	name=$1 dir=$2
	need "$name" ninja cc || { skip "graph-$name" "$name, ninja or cc missing"; exit 0; }
	printf 'int main(void){return 0;}\n' >static.c
	cc -static -o static static.c 2>/dev/null || { skip "graph-$name" "cc cannot link statically (libc6-dev)"; exit 0; }
	export STRATA_GRAPH_LOG="$T/log"
	cp -r "$top/ninja/$name" src
	p_setup >"$name.out" 2>&1 && [ -s build/hello.tar ] && ok "$name-build" || fail "$name-build" "$(tail -c 400 "$name.out")"
	rm -f log
	p_build >"$name.out" 2>&1
	[ ! -s log ] && ok "$name-noop" || fail "$name-noop" "ran $(tr '\n' ' ' <log 2>/dev/null)"
	sed -i "s/hi from $name/hello again from $name/" src/hello.c
	rm -f log
	p_build >"$name.out" 2>&1
	got=$(sed -n 's/^exec //p' log 2>/dev/null | sort | tr '\n' ' ')
	[ "$got" = "0.1 0.2 " ] && ok "$name-program-changed" ||
		fail "$name-program-changed" "executors ran for [$got] $(tail -c 300 "$name.out")"
	want=$($S build -q -f src/Dockerfile "$dir/ctx" 2>/dev/null)
	got=$($S inspect -f '{{.Id}}' "$(cat "$dir/.strata/images.ninja/image")" 2>/dev/null)
	[ -n "$want" ] && [ "$want" = "$got" ] && ok "$name-digest" || fail "$name-digest" "graph $got, strata build $want"
}
