#!/bin/sh
# checks: 25
# the scanner beyond the corpus: line ends, BOM, directives, continuations, heredocs, positions
. "$(dirname "$0")/lib.sh"
cd "$T"

# d NAME 'DOCKERFILE (printf format)' 'EXPECTED DUMP (printf format)'
d() { check_dump scan "$@"; }

d crlf 'FROM a\r\nRUN x \\\r\n  y\r\n' '(from "a")\n(run "x   y")\n'
d bom '\357\273\277FROM a\n' '(from "a")\n'
d bom-later 'FROM a\n\357\273\277RUN x\n' '(from "a")\n(\357\273\277run "")\n'
d directive-case '# ESCAPE=`\nFROM a\nRUN x `\n y\n' '(from "a")\n(run "x  y")\n'
d directive-late 'FROM a\n# escape=`\nRUN x \\\n y\n' '(from "a")\n(run "x  y")\n'
d directive-after-comment '# hello\n# escape=`\nFROM a\nRUN x \\\n y\n' '(from "a")\n(run "x  y")\n'
d directive-unknown '# foo=bar\n# escape=`\nFROM a\n' '(from "a")\n'
d comment-in-continuation 'RUN a \\\n# not a comment of the run\n  b\n' '(run "a   b")\n'
d empty-continuation 'RUN a \\\n\n  \n  b\n' '(run "a   b")\n'
d continuation-eof 'RUN a \\' '(run "a")\n'
d escaped-escape 'RUN a\\\\\nRUN b\n' '(run "a\\\\\\\\")\n(run "b")\n'
d hash-inside 'RUN a # b\n' '(run "a # b")\n'
d leading-space '   FROM a\n\t  RUN b\n' '(from "a")\n(run "b")\n'
d heredoc-chomp 'RUN <<-EOF\n\tx\n\tEOF\nRUN y\n' '(run "<<-EOF")\n(run "y")\n'
d heredoc-two 'COPY <<A <<B /d\nB\nA\nA\nB\nLABEL x=y\n' '(copy "<<A" "<<B" "/d")\n(label "x" "y" "=")\n'
d heredoc-not-for-user 'USER <<EOF\nEOF\n' '(user "<<EOF")\n(eof "")\n'
d heredoc-json 'RUN ["<<EOF"]\nEOF\n' '(run "<<EOF")\n(eof "")\n'
d onbuild-heredoc 'ONBUILD RUN <<EOF\nbody\nEOF\nFROM a\n' '(onbuild (run "<<EOF"))\n(from "a")\n'
d flags-quoted 'COPY --chown="a b" --x='"'"'1 2'"'"' s d\n' '(copy ["--chown=a b" "--x=1 2"] "s" "d")\n'
d unicode-space-quoted 'LABEL a="x\302\240y"\n' '(label "a" "\\"x\\u00a0y\\"" "=")\n'
d unicode-space-splits 'ARG a\302\240b\n' '(arg "a" "b")\n'
d invalid-utf8 'ENV a=\377\n' '(env "a" "\357\277\275" "=")\n'
d control 'RUN a\tb\001\n' '(run "a\\tb\\x01")\n'

# positions: errors point into continuation lines and past heredocs
printf 'FROM a\nRUN <<EOF\nx\nEOF\nCOPY \\\n   --nope=1 a b\n' >pos
check_err scan-pos-after-heredoc 'strata: pos:6:4: unknown flag: --nope for COPY' "$STRATA" parse --json pos
printf 'FROM a\nLABEL a=b \\\n  c=${x\n' >pos2
check_err scan-pos-continuation "strata: pos2:3:5: failed to process \"\${x\": unsupported modifier ($(printf '\357\277\275')) in substitution" "$STRATA" parse --json pos2
