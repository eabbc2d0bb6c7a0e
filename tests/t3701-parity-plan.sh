#!/bin/sh
# checks: 27
# BuildKit's Dockerfile front end where strata differed (issue 8; issue 6 items 21, 22), read
# from strata parse --json: every check states docker's (BuildKit's) result
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need python3 || { skip parity-plan "python3 missing"; exit 0; }

# e NAME 'DOCKERFILE' 'STDERR' [FLAGS]: parse --json fails with exactly STDERR
e() { n=$1 df=$2 want=$3; shift 3; printf "$df" >"$n"; check_err "parity:$n" "$want" $S parse --json "$@" "$n"; }
# p NAME 'DOCKERFILE' PYEXPR 'EXPECTED' [FLAGS]: the plan (d; s = its stages) gives EXPECTED
p() {
	n=$1 df=$2 expr=$3 want=$4; shift 4
	printf "$df" >"$n"
	if ! $S parse --json "$@" "$n" >"$n.json" 2>"$n.err"; then fail "parity:$n" "parse failed: $(cat "$n.err")"; return; fi
	got=$(python3 -c "import json; d=json.load(open('$n.json')); s=d['stages']; print($expr)" 2>&1)
	[ "$got" = "$want" ] && ok "parity:$n" || fail "parity:$n" "got [$got] want [$want]"
}

# 1: a build arg overrides the default, which is then never evaluated (its ${V:?} cannot fail)
p arg-override 'FROM x\nARG BAR=${FOO:?required}\nLABEL b=$BAR\n' "s[0]['steps'][1]['pairs'][0]['value']" '1' --build-arg BAR=1
e arg-default 'FROM x\nARG BAR=${FOO:?required}\n' 'strata: arg-default:2:5: failed to process "${FOO:?required}": FOO: required'
# 2: --checksum needs a remote source
e checksum-local 'FROM x\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d f /\n' 'strata: checksum-local:2:1: checksum requires HTTP(S) or Git sources'
# 7 and issue 6 item 21: ADD --unpack is a flag
p add-unpack 'FROM x\nADD --unpack=false a.tar /d/\n' "s[0]['steps'][0]['flags']['unpack']" 'false'
# 12: the expanded EXPOSE value is split into words
p expose-split 'FROM x\nENV PORTS="3000 4000/udp"\nEXPOSE $PORTS\n' "s[0]['steps'][1]['args']" "['3000', '4000/udp']"
# 13: an address or host port is a warning; the container port is kept
p expose-mapping 'FROM x\nEXPOSE 127.0.0.1:80:80 5000:5000\n' "d['warnings'][0]" "expose-mapping:2:8: ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"
# issue 6 item 22: ports are checked in the plan, at their line
e expose-range 'FROM x\nEXPOSE 80 99999999\n' 'strata: expose-range:2:11: invalid containerPort: 99999999'
e expose-proto 'FROM x\nEXPOSE 80/quic\n' 'strata: expose-proto:2:8: invalid proto: quic'
# 14 and issue 6 item 21: two stages of one name warn, and the later wins
p dup-stage 'FROM a AS s\nFROM b AS s\nFROM c\nCOPY --from=s x y\n' "[s[2]['steps'][0]['from_stage'], d['warnings']]" "[1, ['dup-stage:2:11: DuplicateStageName: Duplicate stage name \"s\", stage names should be unique']]"
p dup-target 'FROM a AS s\nFROM b AS s\nFROM c\n' "d['target']" '1' --target s
p dup-from 'FROM a AS s\nFROM s AS t\nFROM b AS s\n' "s[1]['base_stage']" '0'
# 15: FROM --platform that expands to nothing or to no platform
e platform-empty 'FROM --platform=$UNDEFINED_ARG x\n' 'strata: platform-empty:1:6: empty platform value from expression $UNDEFINED_ARG'
e platform-bad 'ARG P=linux/amd64/v1/x\nFROM --platform=$P x\n' 'strata: platform-bad:2:6: failed to parse platform $P: "linux/amd64/v1/x": cannot parse platform specifier: want os/arch[/variant]'
e platform-os 'FROM --platform=nosuch x\n' 'strata: platform-os:1:6: failed to parse platform nosuch: "nosuch": unknown operating system or architecture'
# 16: --from names an earlier stage only, and is never expanded
e from-later 'FROM x AS a\nCOPY --from=b /x /y\nFROM x AS b\nFROM a\n' 'strata: from-later:2:6: cannot copy from stage "b", it needs to be defined before current stage "a"'
e from-var 'FROM x AS a\nFROM x\nARG S=a\nCOPY --from=$S /x /y\n' 'strata: from-var:4:6: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround'
# 17: a stage's ONBUILD triggers fire in a stage built FROM it
p onbuild-stage 'FROM x AS base\nONBUILD LABEL fired=yes\nFROM base\nLABEL own=1\n' "[(t['instruction'], t.get('onbuild_trigger', False)) for t in s[1]['steps']]" "[('LABEL', True), ('LABEL', False)]"
# 19: SOURCE_DATE_EPOCH as a build arg or a global ARG, validated
p epoch-build-arg 'FROM x\n' "d['source_date_epoch']" '1700000000' --build-arg SOURCE_DATE_EPOCH=1700000000
p epoch-arg 'ARG SOURCE_DATE_EPOCH=86400\nFROM x\n' "d['source_date_epoch']" '86400'
e epoch-arg-bad 'ARG SOURCE_DATE_EPOCH=soon\nFROM x\n' 'strata: epoch-arg-bad:1:5: invalid SOURCE_DATE_EPOCH: soon'
e epoch-build-arg-bad 'FROM x\n' 'strata: invalid SOURCE_DATE_EPOCH: 1e9' --build-arg SOURCE_DATE_EPOCH=1e9
# 20: TARGETSTAGE is the target's name
p targetstage 'FROM x AS first\nARG TARGETSTAGE\nLABEL t=$TARGETSTAGE\nFROM x AS last\n' "s[0]['steps'][1]['pairs'][0]['value']" 'first' --target first
p targetstage-last 'FROM x AS Last\nARG TARGETSTAGE\nLABEL t=$TARGETSTAGE\n' "s[0]['steps'][1]['pairs'][0]['value']" 'last'
# 22: did-you-mean hints for instructions and targets
e unknown-hint 'FROM x\nCOPPY a b\n' 'strata: unknown-hint:2:1: unknown instruction: COPPY (did you mean COPY?)'
e target-hint 'FROM x AS build\n' 'strata: target stage "biuld" could not be found (did you mean build?)' --target biuld
# issue 6 item 21: RUN --device, and a USER that expands to nothing
p run-device 'FROM x\nRUN --device=vendor.com/gpu=all true\n' "s[0]['steps'][0]['flags']['device']" 'vendor.com/gpu=all'
p user-empty 'FROM x\nUSER $APP_UID\n' "s[0]['steps'][0]['args']" "['']"
