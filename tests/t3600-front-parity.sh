#!/bin/sh
# checks: 21
# the front end reads what BuildKit reads (issue 6, items 15 and 17-20): Unicode lower-casing of
# keywords, the exec form's JSON as Go decodes it, a CR after <<, the 64 KiB line limit, and
# ONBUILD triggers from an image's config taken one instruction each, never FROM, ONBUILD or MAINTAINER
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1

# d NAME 'DOCKERFILE (printf format)' 'EXPECTED DUMP (printf format)'
d() { check_dump dump "$@"; }
# e NAME 'DOCKERFILE (printf format)' 'EXPECTED STDERR'
e() {
	printf "$2" >"$1"
	check_err "error:$1" "$3" "$S" parse --json "$1"
}

# 17: strings.ToLower: the Kelvin sign is k, U+0130 is i; a bad byte in a non-ASCII keyword is U+FFFD
d kelvin 'FROM x\nWOR\342\204\252DIR /x\n' '(from "x")\n(workdir "/x")\n'
d dotted-i 'FROM x\nONBU\304\260LD RUN y\n' '(from "x")\n(onbuild (run "y"))\n'
d lower-bad-byte 'FROM x\nB\304\260\377 y\n' '(from "x")\n(bi\357\277\275 "")\n'
check plan-kelvin "$S" parse --json kelvin
# 18: encoding/json: lone surrogates and bad UTF-8 are U+FFFD, a pair is one rune, NUL is kept
d json-surrogate 'FROM x\nCMD ["\\ud800", "\\udc00x", "\\ud83d\\ude00", "\\ud800\\u0041"]\n' \
	'(from "x")\n(cmd "\357\277\275" "\357\277\275x" "\360\237\230\200" "\357\277\275A")\n'
d json-bad-utf8 'FROM x\nENTRYPOINT ["a\377b", "\355\240\200"]\n' \
	'(from "x")\n(entrypoint "a\357\277\275b" "\357\277\275\357\277\275\357\277\275")\n'
d json-nul 'FROM x\nCMD ["a\\u0000b"]\n' '(from "x")\n(cmd "a\\x00b")\n'
# a number float64 cannot hold makes Unmarshal fail: shell form, wherever the number is
d json-overflow 'FROM x\nRUN ["a", {"b": [1e999]}]\n' '(from "x")\n(run "[\\"a\\", {\\"b\\": [1e999]}]")\n'
e json-underflow 'FROM x\nRUN ["a", {"b": 1e-400}]\n' \
	'strata: json-underflow:2:5: when using JSON array syntax, arrays must be comprised of strings only'
e json-bigint 'FROM x\nCMD ["a", 12345678901234567890123]\n' \
	'strata: json-bigint:2:5: when using JSON array syntax, arrays must be comprised of strings only'
e json-null 'FROM x\nRUN ["a", null]\n' \
	'strata: json-null:2:5: when using JSON array syntax, arrays must be comprised of strings only'
# Go's scanner: no control characters in strings, 10,000 levels at most
d json-control 'FROM x\nCMD ["a\tb"]\n' '(from "x")\n(cmd "[\\"a\\tb\\"]")\n'
python3 -c "print('FROM x\nCMD [\"a\", ' + '[' * 9999 + ']' * 9999 + ']')" >deep
python3 -c "print('FROM x\nCMD [\"a\", ' + '[' * 10000 + ']' * 10000 + ']')" >deeper
check_err json-depth-10000 'strata: deep:2:5: when using JSON array syntax, arrays must be comprised of strings only' \
	"$S" parse --json deep
"$S" parse --dump deeper >deeper.out 2>&1 && grep -q '^(cmd "\[' deeper.out && ok json-depth-10001-shell-form ||
	fail json-depth-10001-shell-form "$(head -c 200 deeper.out)"

# 19: the lexer keeps a CR after << with the marker: a heredoc named E
printf 'FROM x\nRUN <<\rE\nhello\nE\n' >cr
"$S" parse --json cr >cr.json 2>cr.err &&
	python3 -c "import json,sys; s=json.load(open('cr.json'))['stages'][0]['steps'][0]; sys.exit(s['heredocs'][0]['name'] != 'E' or s['heredocs'][0]['content'] != 'hello\n')" &&
	ok heredoc-cr || fail heredoc-cr "$(cat cr.err cr.json | head -c 300)"

# 20: bufio.Scanner's limit: 65,535 bytes and a newline fit, 65,536 do not (a BOM counts)
{ printf 'FROM x\nLABEL a='; head -c 65527 /dev/zero | tr '\0' b; printf '\n'; } >line65535
{ printf 'FROM x\nLABEL a='; head -c 65528 /dev/zero | tr '\0' b; printf '\n'; } >line65536
{ printf '\357\273\277'; head -c 65533 /dev/zero | tr '\0' '#'; printf '\nFROM x\n'; } >bomline
check line-65535 "$S" parse --json line65535
check_err line-65536 'strata: line65536:2:1: dockerfile line greater than max allowed size of 65535' \
	"$S" parse --json line65536
check_err line-bom 'strata: bomline:1:1: dockerfile line greater than max allowed size of 65535' \
	"$S" parse --json bomline

# 15: triggers from an image's config
mkdir -p base ctx
printf 'FROM scratch\nLABEL base=yes\n' >base/Dockerfile
echo secret >ctx/file
printf 'FROM hostile\nLABEL c=1\n' >ctx/Dockerfile
if "$S" build -q -o "oci:$T/lay:b" base >/dev/null 2>base.err; then
	# t NAME 'ONBUILD JSON LIST' 'EXPECTED STDERR'
	t() {
		rm -rf l2 && cp -r lay l2 && python3 "$top/tests/setob.py" l2 b "$2" &&
			"$S" import oci:l2:b hostile >/dev/null 2>&1
		check_err "trigger:$1" "$3" "$S" build -q ctx
	}
	t newline '["LABEL a=b\nCOPY . /ctx"]' \
		'strata: ctx/Dockerfile (ONBUILD of hostile):1:1: onbuild trigger should be a single expression'
	t from '["FROM scratch"]' \
		"strata: ctx/Dockerfile (ONBUILD of hostile):1:1: FROM isn't allowed as an ONBUILD trigger"
	t onbuild '["ONBUILD LABEL x=y"]' \
		"strata: ctx/Dockerfile (ONBUILD of hostile):1:1: chaining ONBUILD via \`ONBUILD ONBUILD\` isn't allowed"
else
	skip triggers "base build failed: $(cat base.err)"
fi
