#!/bin/sh
# checks: 6
# make install puts the man page (every command and build flag in it) and the
# bash and zsh completions in place; man renders the page; bash completes.
. "$(dirname "$0")/lib.sh"
S=$STRATA
if ! need make man; then
	skip t7005 "needs make and man"
	exit 0
fi
inst=$T/inst
make -s -C "$top" install DESTDIR="$inst" PREFIX=/usr >"$T/make.out" 2>&1 || { fail make-install "$(tail -5 "$T/make.out")"; exit 0; }
[ -x "$inst/usr/bin/strata" ] && [ -f "$inst/usr/share/man/man1/strata.1" ] &&
	[ -f "$inst/usr/share/bash-completion/completions/strata" ] && [ -f "$inst/usr/share/zsh/site-functions/_strata" ] &&
	ok installed || fail installed "$(find "$inst" -type f)"
MANWIDTH=100 man -l "$inst/usr/share/man/man1/strata.1" >"$T/man.txt" 2>"$T/man.err"
head -n 1 "$T/man.txt" | grep -q '^STRATA(1)' && [ ! -s "$T/man.err" ] && ok man-renders || fail man-renders "$(head -3 "$T/man.txt") $(cat "$T/man.err")"
missing=
for c in $($S --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do grep -q "\b$c\b" "$T/man.txt" || missing="$missing $c"; done
[ -z "$missing" ] && ok man-every-command || fail man-every-command "missing:$missing"
missing=
for f in $($S build --help | sed -n 's/^ *\(-[a-z], \)\{0,1\}\(--[a-z-]*\).*/\2/p' | sort -u); do
	grep -q -- "$f" "$T/man.txt" || missing="$missing $f"
done
[ -z "$missing" ] && ok man-every-build-flag || fail man-every-build-flag "missing:$missing"
got=$(bash -c '. "$1"; complete -p strata' sh "$inst/usr/share/bash-completion/completions/strata" 2>&1)
[ "$got" = "complete -F _strata strata" ] && ok bash-complete || fail bash-complete "$got"
got=$(bash -c '. "$1"; COMP_WORDS=(strata bu); COMP_CWORD=1; _strata; echo "${COMPREPLY[*]}"' sh "$inst/usr/share/bash-completion/completions/strata" 2>&1)
[ "$got" = build ] && ok bash-completes-command || fail bash-completes-command "$got"
