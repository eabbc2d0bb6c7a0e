#!/bin/sh
# checks: 3
# t4330: README's source table names every file of tool/ once, and no file that is gone, so a
# newcomer reading it sees the whole tree (issue 7 item 8).
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 1
grep -o '^| `tool/[^`]*`' README.md | sed 's/^| `//; s/`$//' | sort >"$T/named"
missing=$(for f in tool/*.c tool/*/*.c; do grep -qx "$f" "$T/named" || echo "$f"; done)
[ -z "$missing" ] && ok readme-table/every-file || fail readme-table/every-file "not in README's table: $(echo $missing)"
gone=$(while read -r f; do [ -e "$f" ] || echo "$f"; done <"$T/named")
[ -z "$gone" ] && ok readme-table/no-stale-file || fail readme-table/no-stale-file "README names files that are gone: $(echo $gone)"
twice=$(uniq -d "$T/named")
[ -z "$twice" ] && ok readme-table/once || fail readme-table/once "named twice: $(echo $twice)"
