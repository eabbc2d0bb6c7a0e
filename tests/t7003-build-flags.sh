#!/bin/sh
# checks: 23
# docker build's everyday flags: -f - and a context of - on standard input,
# Containerfile, -f NAME looked up in the context, --iidfile, --progress,
# --pull=never, --platform parsed and checked (a list refused, a base of
# another platform named), ADD of a URL refused at its line; none of the
# errors runs a step, writes a tag or leaves a file.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
if ! need busybox; then
	skip t7003 "needs busybox (busybox-static)"
	exit 0
fi
sh "$top/examples/base/busybox.sh" busybox >/dev/null 2>"$T/base.err" || { fail base "$(cat "$T/base.err")"; exit 0; }
mkdir -p ctx && printf 'FROM busybox AS base\nCOPY f /f\nFROM base\nENV A=1\n' >ctx/Dockerfile && echo data >ctx/f
ref=$($S build -q ctx 2>"$T/err") || fail reference "$(cat "$T/err")"
state() { $S images | grep -c never; ls "$STRATA_STORE/results" | wc -l; ls "$STRATA_STORE/tmp" | wc -l; }
state >before

# ---- standard input ----
got=$(cat ctx/Dockerfile | $S build -q -f - ctx 2>"$T/err")
[ "$got" = "$ref" ] && ok dockerfile-stdin || fail dockerfile-stdin "$got $(cat "$T/err")"
got=$(tar -cf - -C ctx . | $S build -q - 2>"$T/err")
[ "$got" = "$ref" ] && [ -z "$(ls "$STRATA_STORE/tmp")" ] && ok context-stdin || fail context-stdin "$got $(cat "$T/err")"
got=$(tar -czf - -C ctx . | $S build -q - 2>"$T/err")
[ "$got" = "$ref" ] && ok context-stdin-gzip || fail context-stdin-gzip "$got $(cat "$T/err")"
check_err dockerfile-stdin-empty "strata: -f -: standard input is empty (want a Dockerfile)" sh -c "$S build -t never -f - ctx </dev/null"
check_err context-not-tar "strata: context -: standard input is not a tar archive" sh -c "echo FROM busybox | $S build -t never -"
check_err context-empty "strata: context -: standard input is not a tar archive" sh -c "$S build -t never - </dev/null"
check_err both-stdin "strata: build: -f - and context - cannot both read standard input" sh -c "$S build -t never -f - - </dev/null"

# ---- where the Dockerfile is ----
mkdir -p cf && printf 'FROM busybox AS base\nCOPY f /f\nFROM base\nENV A=1\n' >cf/Containerfile && echo data >cf/f
got=$($S build -q cf 2>"$T/err")
[ "$got" = "$ref" ] && ok containerfile || fail containerfile "$got $(cat "$T/err")"
cp ctx/Dockerfile ctx/Other.dockerfile
got=$($S build -q -f Other.dockerfile ctx 2>"$T/err")
[ "$got" = "$ref" ] && ok file-in-context || fail file-in-context "$got $(cat "$T/err")"
check_err file-missing "strata: -f nope: no such file, neither as given nor in the context ctx" $S build -t never -f nope ctx
mkdir -p empty
check_err no-dockerfile "strata: empty/Dockerfile: no such file (nor Containerfile): name the Dockerfile with -f" $S build -t never empty

# ---- --iidfile, --pull, --progress ----
$S build --iidfile iid -q ctx >/dev/null 2>&1 && [ "$(cat iid)" = "$ref" ] && ok iidfile || fail iidfile "$(cat iid)"
rm -f iid
check pull-never $S build -q --pull=never ctx
check_err pull-always "strata: build: --pull=always: strata has no registries yet; only --pull=never works" $S build -t never --pull=always ctx
check_err progress-bad "strata: build: --progress must be auto, plain, tty or quiet, not 'fancy'" $S build -t never --progress=fancy ctx
$S build --no-cache --progress=plain -t p ctx 2>plain.err
printf '[1/2] COPY f /f (X)\n[2/2] ENV A=1 (X)\n' >want
sed '$d; s/([0-9.]*s)$/(X)/' plain.err | cmp -s - want && tail -n 1 plain.err | grep -q "^built ${ref#sha256:} \{0\}" ||
	tail -n 1 plain.err | grep -q "^built $(echo "$ref" | cut -c8-19) in [0-9.]*s; tagged p:latest$" && sed '$d; s/([0-9.]*s)$/(X)/' plain.err | cmp -s - want &&
	ok progress-plain || fail progress-plain "$(cat plain.err)"
$S build --progress=tty -t t -o oci-archive:tty.tar ctx 2>tty.err
esc=$(printf '\033')
if grep -q "=> base: FROM busybox AS base" tty.err && grep -q "\[1/2\] base: COPY f /f (cached)" tty.err &&
	grep -q "=> stage-1: FROM base" tty.err && grep -q "\[2/2\] stage-1: ENV A=1 (cached)" tty.err &&
	grep -q "=> writing oci-archive:tty.tar" tty.err && grep -q "$esc\[K" tty.err &&
	tail -n 1 tty.err | grep -q "built $(echo "$ref" | cut -c8-19) in [0-9.]*s; tagged t:latest; wrote oci-archive:tty.tar$"; then
	ok progress-tty
else
	fail progress-tty "$(cat -v tty.err)"
fi
$S build --progress=quiet -t qq ctx >q.out 2>q.err
[ ! -s q.out ] && [ ! -s q.err ] && ok progress-quiet || fail progress-quiet "$(cat q.out q.err)"

# ---- --platform ----
check_err platform-list "strata: --platform linux/amd64,linux/arm64: multi-platform builds are not supported yet: name one platform" \
	$S build -t never --platform linux/amd64,linux/arm64 ctx
check_err platform-bad 'strata: "linux/foo": unknown operating system or architecture' $S build -t never --platform linux/foo ctx
other=linux/arm64
[ "$(uname -m)" = aarch64 ] && other=linux/amd64
host=$($S inspect --format '{{.Os}}/{{.Architecture}}' busybox)
check_err platform-base "strata: ctx/Dockerfile:1:1: image busybox is $host, not $other (the target platform)" \
	$S build -t never --platform "$other" ctx

# ---- ADD of a URL: refused at its line before anything runs ----
printf 'FROM busybox\nCOPY f /f\nADD https://example.com/x.tgz /x\n' >ctx/Dadd
check_err add-url "strata: ctx/Dadd:3:1: ADD https://example.com/x.tgz: adding from a URL or a git repository is not supported yet" \
	$S build -t never -f ctx/Dadd ctx
state >after
cmp -s before after && ok errors-left-nothing || fail errors-left-nothing "$(cat before) / $(cat after)"
