#!/bin/sh
# checks: 5
# issue 7 items 8 and 9: tests/run fails a script that prints fewer results than its
# "# checks: N" line declares (and passes one that prints them all); -Werror is in the compile
# line only with DEVELOPER=1 (make -n -B: nothing is rebuilt); `make bench` runs bench/all.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir -p fake/tests fake/bin
cp "$top/tests/run" fake/tests/run
printf '#!/bin/sh\n# checks: 3\necho "ok one"\n' >fake/tests/t0001-short.sh
env -u STRATA_TESTS -u STRATA_SUMMARY STRATA=/bin/true TESTBIN="$T/fake/bin" sh fake/tests/run plain >short.out 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'FAIL t0001-short.sh: ran 1 checks, declares 3' short.out && grep -q 'plain: 1 passed, 1 failed' short.out &&
	ok runner-fails-short-script || fail runner-fails-short-script "rc $rc: $(cat short.out)"
printf '#!/bin/sh\n# checks: 3\necho "ok one"\necho "ok two"\necho "ok three"\n' >fake/tests/t0001-short.sh
env -u STRATA_TESTS -u STRATA_SUMMARY STRATA=/bin/true TESTBIN="$T/fake/bin" sh fake/tests/run plain >full.out 2>&1 && grep -q 'plain: 3 passed, 0 failed' full.out &&
	ok runner-passes-full-script || fail runner-passes-full-script "$(cat full.out)"
if ! need make || [ ! -f "$top/config.mk" ]; then
	skip make-flags "needs make and a configured tree"
	skip make-flags-developer "needs make and a configured tree"
	skip make-bench "needs make and a configured tree"
	exit 0
fi
# a make run from make check inherits its command-line variables (DEVELOPER=1) through MAKEFLAGS
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DEVELOPER make "$@"; }
mk -n -B -C "$top" strata >plain.n 2>&1
grep -q ' -Wall ' plain.n && ! grep -q -- '-Werror' plain.n && ok make-flags || fail make-flags "$(grep -m1 ' -c ' plain.n)"
mk -n -B -C "$top" DEVELOPER=1 strata >dev.n 2>&1
grep -q -- '-Werror' dev.n && ok make-flags-developer || fail make-flags-developer "$(grep -m1 ' -c ' dev.n)"
# make bench with one quick bench named: it goes through bench/all, which runs bench/parse
mk -C "$top" -s bench BENCH=parse >bench.out 2>&1 && grep -q '^== bench/parse' bench.out && ok make-bench ||
	fail make-bench "$(tail -c 400 bench.out)"
