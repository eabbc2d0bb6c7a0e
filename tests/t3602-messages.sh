#!/bin/sh
# checks: 8
# names from Dockerfiles and archives never forge a line nor drive the terminal: they are shown as
# they are when plain, else quoted as Go's %q (issue 6, item 8); a long name is shortened, never the
# cause (item 9)
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip messages "python3 missing"; exit 0; }
mkdir -p ctx

printf 'FROM scratch\nCOPY ["a\\nstrata: forged", "/x"]\n' >ctx/Dockerfile
check_err copy-newline 'strata: ctx/Dockerfile:2:1: "a\nstrata: forged": not found in the build context' \
	"$S" build -q ctx
printf 'FROM scratch\n\033[31mBOGUS x\n' >esc
check_err keyword-escape 'strata: esc:2:1: unknown instruction: "\x1b[31mBOGUS"' "$S" parse --json esc
printf 'FROM scratch\nBOGUS x\n' >"$(printf 'D\nx')"
check_err path-newline 'strata: "D\nx":2:1: unknown instruction: BOGUS' "$S" parse --json "$(printf 'D\nx')"
python3 - <<'PY'
import io, tarfile
t = tarfile.open('ctx/evil.tar', 'w')
for name in ['ok', 'a\nstrata: forged/../../x']:
    i = tarfile.TarInfo(name); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
t.close()
PY
printf 'FROM scratch\nADD evil.tar /x/\n' >ctx/Dockerfile
check_err archive-entry 'strata: ctx/Dockerfile:2:1: ctx/evil.tar: entry "a\nstrata: forged/../../x": path leaves the destination' \
	"$S" build -q ctx
# progress lines: the instruction as written, what would drive a terminal escaped
printf 'FROM scratch\nLABEL a="\033[2J"\n' >ctx/Dockerfile
"$S" build --progress=plain ctx >/dev/null 2>progress.err
if grep -q "$(printf '\033')" progress.err; then
	fail progress-escape "an escape byte reached the terminal"
elif grep -qF 'LABEL a="\x1b[2J"' progress.err; then
	ok progress-escape
else
	fail progress-escape "$(cat progress.err)"
fi

# a 3,029-byte source: the name is cut in its middle, the cause is whole, the line under 1,024 bytes
python3 -c "print('FROM scratch\nCOPY ' + '/'.join(['x' * 100] * 30) + ' /y')" >ctx/Dockerfile
"$S" build -q ctx 2>long.err
[ "$(wc -l <long.err)" = 1 ] && [ "$(wc -c <long.err)" -lt 1024 ] && grep -q '^strata: ctx/Dockerfile:2:1: xxx.*\.\.\.xxx.*x: not found in the build context$' long.err &&
	ok long-name-cause || fail long-name-cause "$(cat long.err)"
# the same with a system error: strerror is the cause
python3 -c "print('FROM scratch\nCOPY ' + 'x' * 3000 + ' /y')" >ctx/Dockerfile
"$S" build -q ctx 2>long2.err
[ "$(wc -l <long2.err)" = 1 ] && grep -q 'x: File name too long$' long2.err && ok long-name-errno ||
	fail long-name-errno "$(cat long2.err)"
# a long name in a Dockerfile error: the place and the message stay
python3 -c "print('FROM scratch\nCOPY --chmod=' + 'y' * 3000 + ' a /y')" >ctx/Dockerfile
echo a >ctx/a
"$S" build -q ctx 2>long3.err
[ "$(wc -l <long3.err)" = 1 ] && grep -q "^strata: ctx/Dockerfile:2:1: .*invalid --chmod value 'yyy.*\.\.\.y*'$" long3.err &&
	ok long-name-dockerfile || fail long-name-dockerfile "$(cat long3.err)"
