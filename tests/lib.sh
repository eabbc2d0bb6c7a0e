# tests/lib.sh: sourced by the numbered shell tests.
# ok NAME | fail NAME WHY | skip NAME WHY print the lines tests/run counts.
set -u
: "${STRATA:?}"
top=${STRATA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/strata-t.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export STRATA_STORE="$T/store"

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }

# check NAME CMD...: ok when CMD succeeds
check() {
	name=$1; shift
	if "$@" >"$T/.out" 2>"$T/.err"; then ok "$name"; else fail "$name" "$* -> $(head -c 300 "$T/.err")"; fi
}

# check_err NAME 'EXPECTED STDERR LINE' CMD...: CMD must exit 1 and print exactly
# one stderr line equal to EXPECTED
check_err() {
	name=$1 want=$2; shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	got=$(cat "$T/.err")
	if [ "$rc" -ne 1 ]; then
		fail "$name" "exit $rc, want 1 (stderr: $got)"
	elif [ "$got" != "$want" ]; then
		fail "$name" "stderr [$got] want [$want]"
	else
		ok "$name"
	fi
}

# check_dump KIND NAME 'DOCKERFILE (printf format)' 'EXPECTED DUMP (printf format)': the
# Dockerfile written to the file NAME; ok KIND:NAME when strata parse --dump prints exactly the dump
check_dump() {
	printf "$3" >"$2"
	printf "$4" >"$2.want"
	if "$STRATA" parse --dump "$2" >"$2.got" 2>"$2.err" && cmp -s "$2.got" "$2.want"; then
		ok "$1:$2"
	else
		fail "$1:$2" "got [$(cat "$2.got" "$2.err")] want [$(cat "$2.want")]"
	fi
}

# need TOOL...: true when every tool is on PATH
need() {
	for t in "$@"; do command -v "$t" >/dev/null 2>&1 || return 1; done
}

# run_needs NAME [TOOL...]: for the tests of RUN: unless root with busybox and every TOOL on PATH,
# skip NAME and end the test; else bb is busybox's path, S is $STRATA and the test is in $T
run_needs() {
	name=$1
	shift
	if [ "$(id -u)" -ne 0 ]; then skip "$name" "needs root"; exit 0; fi
	bb=$(command -v busybox || true)
	if [ -z "$bb" ] || ! need "$@"; then skip "$name" "needs busybox${1:+ and }$*"; exit 0; fi
	S=$STRATA
	cd "$T" || exit 1
}

# busybox_base NAME: the image base:1 from examples/base/busybox.sh in the store (a failed
# NAME/setup ends the test)
busybox_base() {
	STRATA=$STRATA sh "$top/examples/base/busybox.sh" base:1 >"$T/base.log" 2>&1 ||
		{ fail "$1/setup" "examples/base/busybox.sh: $(tail -c 300 "$T/base.log")"; exit 0; }
}

# xattr_fixtures NAME CTX: in the context directory CTX, setcap (a static program: FILE... get
# security.capability cap_net_bind_service+ep and user.leak, as busybox has no setcap) and plain
# (a file with the host's attributes user.host and trusted.host); skips NAME and ends the test
# without a static C library, fails NAME/setup without extended attributes; needs python3 and $cc
xattr_fixtures() {
	cat >"$T/setcap.c" <<'C'
#include <stdio.h>
#include <sys/xattr.h>
int main(int argc, char **argv)
{
	static const unsigned char cap[20] = {0x01, 0, 0, 0x02, 0x00, 0x04, 0, 0};
	for (int i = 1; i < argc; i++)
		if (setxattr(argv[i], "security.capability", cap, sizeof cap, 0) < 0 ||
		    setxattr(argv[i], "user.leak", "x", 1, 0) < 0) {
			perror(argv[i]);
			return 1;
		}
	return 0;
}
C
	"${cc:-cc}" -static -O2 -o "$2/setcap" "$T/setcap.c" 2>"$T/cc.err" ||
		{ skip "$1" "no static C library: $(head -c 200 "$T/cc.err")"; exit 0; }
	echo data >"$2/plain"
	python3 -c 'import os,sys; [os.setxattr(sys.argv[1], k, b"h") for k in ("user.host", "trusted.host")]' "$2/plain" ||
		{ fail "$1/setup" "no extended attributes on $T"; exit 0; }
}

# word_files DIR SEED COUNT WORDS WORD...: the files DIR/t0 .. t<COUNT-1>, each WORDS of the WORDs
# drawn at random (seeded by SEED: the same bytes on every run) and joined by spaces; \n in a WORD
# stands for a newline. Compressible text of a known size for the compression tests; needs python3.
word_files() {
	python3 - "$@" <<'PY'
import os, random, sys
d, seed, count, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
words = [w.replace("\\n", "\n").encode() for w in sys.argv[5:]]
r = random.Random(seed)
for i in range(count):
    with open(os.path.join(d, "t%d" % i), "wb") as f:
        f.write(b" ".join(r.choice(words) for _ in range(n)))
PY
}

# no_leak_check: for tests that signal strata at random moments. Under ASan, LeakSanitizer's
# exit-time scan ptrace-stops the process from a helper it cloned; a SIGINT/SIGTERM landing then
# runs the cleanup handler, whose execve leaves that helper waiting forever on the old address
# space (a hang, not a leak). A leak report from a killed process means nothing, so these tests
# turn the exit-time leak check off; every other test keeps it.
no_leak_check() {
	[ -n "${STRATA_SAN:-}" ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
	return 0
}
