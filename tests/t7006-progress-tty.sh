#!/bin/sh
# checks: 9
# progress (issue 11 item 5): on a terminal, FROM lines, the stage name on each step, a live
# line with the elapsed time and the bytes written for a COPY, a RUN's output above the live
# line (never glued to it), (cached) steps one line each and a final line with the total time,
# the ID and the tags; piped (auto) and --progress=plain stay one line per finished step with
# no terminal codes; quiet prints nothing. The terminal is script(1)'s pty; what a terminal
# shows is rendered by a tiny emulator of \r, \n and ESC[K.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
if ! need busybox script python3; then
	skip t7006 "needs busybox (busybox-static), script (bsdutils) and python3"
	exit 0
fi
sh "$top/examples/base/busybox.sh" busybox >/dev/null 2>"$T/base.err" || { fail base "$(cat "$T/base.err")"; exit 0; }
mkdir ctx
printf 'FROM busybox\nCOPY big /big\nRUN sleep 0.5; printf "one\\ntw"; sleep 0.3; echo o\n' >ctx/Dockerfile
head -c 24000000 /dev/urandom >ctx/big

# the screen a terminal shows for the bytes on stdin, times as T
cat >render.py <<'EOF'
import re, sys
data = sys.stdin.buffer.read().decode('utf-8', 'replace')
lines, cur, col = [], [], 0
i = 0
while i < len(data):
    c = data[i]
    if data.startswith('\x1b[K', i):
        del cur[col:]; i += 3; continue
    if c == '\r':
        col = 0
    elif c == '\n':
        lines.append(''.join(cur)); cur, col = [], 0
    else:
        if col < len(cur): cur[col] = c
        else: cur.append(c)
        col += 1
    i += 1
if cur: lines.append(''.join(cur))
for l in lines:
    l = re.sub(r'\(\d+\.\d\ds\)', '(T)', l)
    l = re.sub(r'in \d+\.\d\ds', 'in T', l)
    l = re.sub(r'built [0-9a-f]{12}', 'built ID', l)
    print(l.rstrip())
EOF

tty_build() { script -qec "$S build $* ctx" /dev/null; }

tty_build -t app >raw1 2>&1
python3 render.py <raw1 >screen1
cat >want1 <<'EOF'
=> stage-0: FROM busybox
[1/2] stage-0: COPY big /big (T)
one
two
[2/2] stage-0: RUN sleep 0.5; printf "one\ntw"; sleep 0.3; echo o (T)
built ID in T; tagged app:latest
EOF
diff want1 screen1 >d1 && ok tty-screen || fail tty-screen "$(cat d1)"
# the live line was drawn, with the elapsed time and, during the COPY, the bytes written
grep -q "$(printf '\r\033\\[K')\[2/2\] stage-0: RUN .* [0-9]*\.[0-9]s" raw1 && ok tty-live-elapsed || fail tty-live-elapsed "$(cat -A raw1 | head -c 600)"
tr '\r' '\n' <raw1 | grep -q '^.\[K\[1/2\] stage-0: COPY big /big [0-9.]*s [0-9.]*[kMG]B' && ok tty-live-bytes ||
	fail tty-live-bytes "$(tr '\r' '\n' <raw1 | grep COPY | cat -A | head -5)"

tty_build -t app >raw2 2>&1
python3 render.py <raw2 >screen2
cat >want2 <<'EOF'
=> stage-0: FROM busybox
[1/2] stage-0: COPY big /big (cached)
[2/2] stage-0: RUN sleep 0.5; printf "one\ntw"; sleep 0.3; echo o (cached)
built ID in T; tagged app:latest
EOF
diff want2 screen2 >d2 && ok tty-cached || fail tty-cached "$(cat d2)"

# piped: auto means plain, lines as logs have always had them, no terminal codes
$S build --no-cache -t app ctx >/dev/null 2>plain
python3 render.py <plain >plainscreen
cat >want3 <<'EOF'
[1/2] COPY big /big (T)
one
two
[2/2] RUN sleep 0.5; printf "one\ntw"; sleep 0.3; echo o (T)
built ID in T; tagged app:latest
EOF
diff want3 plainscreen >d3 && ok auto-piped-plain || fail auto-piped-plain "$(cat d3)"
! grep -q "$(printf '[\r\033]')" plain && ok plain-no-codes || fail plain-no-codes "$(cat -A plain | head -5)"
# --progress=plain on a terminal is plain too
tty_build --progress=plain -t app >raw4 2>&1
! tr -d '\r' <raw4 | grep -q "$(printf '\033')" && tr -d '\r' <raw4 | grep -qx '\[1/2\] COPY big /big (cached)' &&
	ok plain-on-tty || fail plain-on-tty "$(cat -A raw4 | head -5)"
# quiet: nothing on stderr, not even the command's output
$S build --progress=quiet --no-cache -t app ctx >/dev/null 2>quiet
[ ! -s quiet ] && ok quiet-silent || fail quiet-silent "$(head -3 quiet)"
# --progress=tty when piped: the terminal form, forced
$S build --progress=tty -t app ctx >/dev/null 2>forced
grep -q "$(printf '\033')\[K=> stage-0: FROM busybox" forced && ok tty-forced || fail tty-forced "$(cat -A forced | head -3)"
