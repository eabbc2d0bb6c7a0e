#!/bin/sh
# checks: 39
# ARG/ENV scoping, expansion and stage structure, read from strata parse --json
. "$(dirname "$0")/lib.sh"
cd "$T"
need python3 || { skip plan "python3 is not installed"; exit 0; }

# p NAME 'DOCKERFILE (printf format)' 'PYTHON EXPRESSION over d (the plan)' 'EXPECTED' [parse args]
p() {
	name=$1 body=$2 expr=$3 want=$4; shift 4
	printf "$body" >"$name"
	if ! "$STRATA" parse --json "$@" "$name" >"$name.json" 2>"$name.err"; then
		fail "plan:$name" "parse failed: $(cat "$name.err")"
		return
	fi
	got=$(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
s = d['stages']
def step(i, k): return s[i]['steps'][k]
def label(i, k, n=0): return step(i, k)['pairs'][n]['value']
print($expr)" "$name.json" 2>&1)
	if [ "$got" = "$want" ]; then ok "plan:$name"; else fail "plan:$name" "got [$got] want [$want]"; fi
}

p global-from 'ARG V=1\nFROM img:$V\n' "s[0]['base']" 'img:1'
p global-braces 'ARG R=reg ARG2\nARG T=${R}/x\nFROM ${T}:${V:-2}\n' "s[0]['base']" 'reg/x:2'
p global-hidden 'ARG V=1\nFROM x\nLABEL a=$V\n' "label(0, 0)" ''
p global-redeclared 'ARG V=1\nFROM x\nARG V\nLABEL a=$V\n' "label(0, 1)" '1'
p global-override 'ARG V=1\nFROM x:$V\nARG V\nLABEL a=$V\n' "s[0]['base'] + ' ' + label(0, 1)" 'x:2 2' --build-arg V=2
p stage-default 'FROM x\nARG V=d\nLABEL a=$V\n' "label(0, 1)" 'd'
p stage-override 'FROM x\nARG V=d\nLABEL a=$V\n' "label(0, 1)" 'cli' --build-arg V=cli
p arg-before-decl 'FROM x\nLABEL a=$V\nARG V=d\n' "label(0, 0)" '' --build-arg V=cli
p arg-default-expands 'FROM x\nENV E=e\nARG V=${E}-x\nLABEL a=$V\n' "label(0, 2)" 'e-x'
p env-over-arg 'FROM x\nARG A=arg\nENV A=env\nLABEL l=$A\n' "label(0, 2)" 'env'
p env-over-arg2 'FROM x\nENV A=env\nARG A=arg\nLABEL l=$A\n' "label(0, 2)" 'env'
p env-legacy 'FROM x\nENV A b c  d\nLABEL l="$A"\n' "label(0, 1)" 'b c  d'
p env-pairs-see-old 'FROM x\nENV A=1\nENV A=2 B=$A\nLABEL l=$B\n' "label(0, 2)" '1'
p env-quotes 'FROM x\nENV A="a b" B='"'"'$A'"'"' C=\\$A\nLABEL l="$A|$B|$C"\n' "label(0, 1)" 'a b|$A|$A'
p env-default-path 'FROM scratch\nENV P=$PATH\n' "step(0, 0)['pairs'][0]['value']" '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
p env-inherited 'FROM x AS a\nENV E=1\nFROM a\nLABEL l=$E\n' "label(1, 0)" '1'
p args-not-inherited 'FROM x AS a\nARG E=1\nFROM a\nLABEL l=$E\n' "label(1, 0)" ''
p platform-declared 'FROM x\nARG TARGETOS\nARG TARGETARCH\nLABEL l=$TARGETOS/$TARGETARCH\n' "label(0, 2)" 'linux/arm64' --platform linux/arm64
p platform-undeclared 'FROM x\nLABEL l=$TARGETOS\n' "label(0, 0)" ''
p platform-in-from 'FROM --platform=$BUILDPLATFORM x AS b\n' "s[0]['platform'] == d['platform'] or s[0]['platform']" 'True'
p unused-arg 'FROM x\nARG USED\n' "d.get('unused_build_args')" 'NOPE' --build-arg USED=1 --build-arg NOPE=2 --build-arg HTTP_PROXY=p
p expand-copy 'FROM x\nENV D=/dst\nCOPY --chown=${U:-1}:2 src/${F:-f} $D/\n' "step(0, 1)['args'] + [step(0, 1)['flags']['chown']]" "['src/f', '/dst/', '1:2']"
p no-expand-run 'FROM x\nENV A=1\nRUN echo $A\nCMD echo $A\n' "step(0, 1)['args'] + step(0, 2)['args']" "['echo \$A', 'echo \$A']"
p expose-words 'FROM x\nENV P=80\nEXPOSE $P/tcp 443\n' "step(0, 1)['args']" "['80/tcp', '443']"
p from-stage 'FROM x AS Build\nFROM build\n' "[s[1]['base_stage'], s[1]['depends_on'], s[0]['name']]" "[0, [0], 'build']"
p from-self-is-image 'FROM x AS x\n' "'base_stage' in s[0]" 'False'
p copy-from-later 'FROM x AS a\nCOPY --from=b /x /y\nFROM x AS b\n' "[step(0, 0)['from_stage'], s[0]['depends_on']]" '[1, [1]]'
p copy-from-index 'FROM x\nFROM y\nCOPY --from=0 /x /y\n' "step(1, 0)['from_stage']" '0'
p copy-from-image 'FROM x\nCOPY --from=alpine:3 /x /y\n' "step(0, 0)['from_image']" 'alpine:3'
p target-needs 'FROM x AS c\nFROM x AS a\nFROM x AS unused\nFROM a AS b\nCOPY --from=c / /\nFROM x AS last\n' "[st['needed'] for st in s]" '[True, True, False, True, False]' --target b
p default-target 'FROM x AS a\nFROM x AS b\n' "[d['target'], [st['needed'] for st in s]]" '[1, [False, True]]'
p run-mount-from 'FROM x AS a\nFROM x\nRUN --mount=type=bind,from=a,target=/a ls\n' "s[1]['depends_on']" '[0]'
p heredoc 'FROM x\nCOPY <<EOF /f\nline $A\nEOF\n' "[h['name'] for h in step(0, 0)['heredocs']] + [step(0, 0)['heredocs'][0]['content'] == 'line \$A' + chr(10), step(0, 0)['heredocs'][0]['expand']]" "['EOF', True, True]"
p heredoc-quoted "FROM x\nCOPY <<'EOF' /f\nx\nEOF\n" "step(0, 0)['heredocs'][0]['expand']" 'False'
p backtick '# escape=`\nFROM x\nCOPY a`\n  b /\n' "step(0, 0)['args']" "['a', 'b', '/']"
p continuation 'FROM x\nLABEL a=1 \\\n# comment\n\n  b=2\n' "[step(0, 0)['line'], step(0, 0)['end_line'], label(0, 0, 1)]" '[2, 5, '"'2'"']'
p onbuild 'FROM x\nONBUILD COPY a /b\n' "step(0, 0)['original']" 'COPY a /b'
p healthcheck 'FROM x\nHEALTHCHECK --interval=5s --retries=3 CMD ["true"]\n' "[step(0, 0)['flags'], step(0, 0)['args']]" "[{'interval': '5s', 'retries': '3'}, ['CMD', 'true']]"
p needs-parent 'FROM x\nCOPY a /b\nCOPY --link a /b\nCOPY --link --chown=app a /b\nCOPY --link --chown=1:2 a /b\nWORKDIR /w\n' "[step(0, k)['needs_parent'] for k in range(5)]" '[True, False, True, False, True]'
