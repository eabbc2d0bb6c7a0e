#!/bin/sh
# checks: 54
# every front-end error: one line "strata: FILE:LINE:COL: message", exit 1
. "$(dirname "$0")/lib.sh"
cd "$T"

# e NAME 'DOCKERFILE (printf format)' 'EXPECTED STDERR' [extra parse args]
e() {
	name=$1 body=$2 want=$3; shift 3
	printf "$body" >"$name"
	check_err "parse-error:$name" "$want" "$STRATA" parse --json "$@" "$name"
}

e empty '' 'strata: empty:1:1: file with no instructions'
e comments '# only\n\n# comments\n' 'strata: comments:3:1: file with no instructions'
e unknown 'FROM x\nBOGUS y\n' 'strata: unknown:2:1: unknown instruction: BOGUS'
e unknown-onbuild 'FROM x\nONBUILD BOGUS y\n' 'strata: unknown-onbuild:2:9: unknown instruction: BOGUS'
e badflag 'FROM x\nCOPY --nope=1 a b\n' 'strata: badflag:2:6: unknown flag: --nope for COPY'
e flag-on-env 'FROM x\nENV --x=1 A=b\n' 'strata: flag-on-env:2:5: unknown flag: --x for ENV'
e boolflag 'FROM a\nCOPY --link=maybe a b\n' 'strata: boolflag:2:6: expecting boolean value for flag --link, not: maybe'
e dupflag 'FROM a\nCOPY --chown=1 --chown=2 a b\n' 'strata: dupflag:2:16: duplicate flag specified: --chown'
e novalue 'FROM a\nCOPY --from a b\n' 'strata: novalue:2:6: missing a value on flag: --from'
e quote 'FROM x\nENV A="x\n' 'strata: quote:2:7: failed to process "\"x": unexpected end of statement while looking for matching double-quote'
e squote "FROM x\nLABEL a='x\n" "strata: squote:2:9: failed to process \"'x\": unexpected end of statement while looking for matching single-quote"
e brace 'FROM x\nWORKDIR ${A:-x\n' 'strata: brace:2:9: failed to process "${A:-x": syntax error: missing '"'}'"
e required 'FROM a\nWORKDIR ${A:?must be set}\n' 'strata: required:2:9: failed to process "${A:?must be set}": A: must be set'
e heredoc 'FROM x\nRUN <<EOF\nfoo\n' 'strata: heredoc:2:1: unterminated heredoc EOF'
e heredoc2 'FROM x\nCOPY <<A <<B /\nA\n' 'strata: heredoc2:2:1: unterminated heredoc B'
e json 'FROM x\nCMD ["a", 1]\n' 'strata: json:2:5: when using JSON array syntax, arrays must be comprised of strings only'
e json-nested 'FROM x\nENTRYPOINT ["a", ["b"]]\n' 'strata: json-nested:2:12: when using JSON array syntax, arrays must be comprised of strings only'
e shell 'FROM a\nSHELL sh -c\n' 'strata: shell:2:1: SHELL requires the arguments to be in JSON form'
e argnone 'FROM x\nARG\n' 'strata: argnone:2:1: ARG requires at least one argument'
e argblank 'FROM x\nARG =x\n' 'strata: argblank:2:5: ARG names can not be blank'
e globalargblank 'ARG =x\nFROM x\n' 'strata: globalargblank:1:5: ARG names can not be blank'
e envone 'FROM x\nENV A\n' 'strata: envone:2:5: ENV must have two arguments'
e envnone 'FROM x\nENV\n' 'strata: envnone:2:1: ENV requires at least one argument'
e enveq 'FROM x\nENV A=1 B\n' "strata: enveq:2:9: syntax error: can't find = in 'B'; must be of the form name=value"
e labelone 'FROM x\nLABEL a\n' 'strata: labelone:2:7: LABEL must have two arguments'
e index 'FROM x\nCOPY --from=5 /a /b\n' 'strata: index:2:6: invalid from flag value 5: no stage with that index'
e cycle 'FROM x AS a\nCOPY --from=b / /\nFROM x AS b\nCOPY --from=a / /\n' 'strata: cycle:1:1: circular dependency detected on stage: a'
e self 'FROM x AS a\nCOPY --from=a /x /y\n' 'strata: self:2:6: circular dependency detected on stage: a'
e self-index 'FROM x\nCOPY --from=0 /x /y\n' 'strata: self-index:2:6: circular dependency detected on stage: 0'
e nofrom 'ARG A=1\n' 'strata: nofrom:1:1: no FROM instruction: the Dockerfile has no stage to build'
e before 'RUN x\nFROM y\n' 'strata: before:1:1: RUN before the first FROM: only ARG may come before FROM'
e escape '# escape=x\nFROM y\n' 'strata: escape:1:10: invalid escape token '"'x'"' does not match ` or \'
e directive '# syntax=a\n# syntax=b\nFROM y\n' 'strata: directive:2:1: only one syntax parser directive can be used'
e fromarity 'FROM a b\n' 'strata: fromarity:1:1: FROM requires either one or three arguments'
e fromblank 'ARG B\nFROM ${B}\n' 'strata: fromblank:2:6: base name (${B}) should not be blank'
e stagename 'FROM a AS 1x\n' "strata: stagename:1:11: invalid name for build stage: '1x', name can't start with a number or contain symbols"
e fromvar 'FROM a\nCOPY --from=$X a b\n' "strata: fromvar:2:6: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
e hctype 'FROM a\nHEALTHCHECK FOO x\n' "strata: hctype:2:13: unknown type 'FOO' in HEALTHCHECK (try CMD)"
e hcnone 'FROM a\nHEALTHCHECK NONE x\n' 'strata: hcnone:2:1: HEALTHCHECK NONE takes no arguments'
e hcint 'FROM a\nHEALTHCHECK --interval=xs CMD true\n' 'strata: hcint:2:13: invalid duration for --interval: xs'
e hcretries 'FROM a\nHEALTHCHECK --retries=-1 CMD true\n' 'strata: hcretries:2:13: --retries cannot be negative (-1)'
e onbuild2 'FROM a\nONBUILD ONBUILD RUN x\n' 'strata: onbuild2:2:1: chaining ONBUILD via `ONBUILD ONBUILD` isn'"'"'t allowed'
e onbuildfrom 'FROM a\nONBUILD FROM b\n' "strata: onbuildfrom:2:1: FROM isn't allowed as an ONBUILD trigger"
e copyone 'FROM a\nCOPY a\n' 'strata: copyone:2:1: COPY requires at least two arguments, but only one was provided. Destination could not be determined'
e expose 'FROM a\nEXPOSE\n' 'strata: expose:2:1: EXPOSE requires at least one argument'
e workdir 'FROM a\nWORKDIR\n' 'strata: workdir:2:1: WORKDIR requires exactly one argument'
e volume 'FROM a\nVOLUME ["/a", ""]\n' 'strata: volume:2:8: VOLUME specified can not be an empty string'
e continued 'FROM a\nCOPY \\\n  --bad=1 \\\n  a b\n' 'strata: continued:3:3: unknown flag: --bad for COPY'
e target 'FROM a AS x\n' 'strata: target stage "nope" could not be found' --target nope
printf 'FROM a\000\n' >nul
check_err "parse-error:nul" 'strata: nul:1:7: NUL byte in Dockerfile' "$STRATA" parse --dump nul
check_err "parse-error:missing-file" 'strata: nosuch: No such file or directory' "$STRATA" parse --dump nosuch
check_err "parse-error:bad-build-arg" "strata: --build-arg: invalid argument '=x': want KEY=VALUE" "$STRATA" parse --json --build-arg =x target

# the dump itself accepts what only the plan refuses, as the reference parser does
printf 'FROM x\nBOGUS y\n' >dumpok
check "dump-accepts-unknown" "$STRATA" parse --dump dumpok
[ "$(cat "$T/.out")" = '(from "x")
(bogus "")' ] && ok dump-unknown-format || fail dump-unknown-format "$(cat "$T/.out")"
