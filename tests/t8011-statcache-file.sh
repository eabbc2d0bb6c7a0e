#!/bin/sh
# checks: 11
# t8011: the stat cache file is only ever a hint: a damaged entry (its checksum no longer
# matching), a truncated file, garbage, an empty file or a directory in its place cost a
# re-hash and never a wrong image or a crash; two builds running at once on one context and
# store give the right images and leave a good cache; gc drops the cache of a context that is
# gone and keeps the others.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir -p ctx/d
printf 'FROM scratch\nCOPY . /x\n' >ctx/Dockerfile
i=0
while [ $i -lt 40 ]; do echo "file $i" >ctx/d/f$i; i=$((i + 1)); done
echo x1 >ctx/a
sleep 2.1

ref() { rm -rf "$T/ref"; STRATA_STORE=$T/ref $STRATA build -q "$@"; }
cache() { echo "$STRATA_STORE"/statcache/*; }

d1=$($STRATA build -q ctx)
c=$(cache)
[ -f "$c" ] && [ "$d1" = "$(ref ctx)" ] && ok first-build || fail first-build "$d1, cache $c"
h1=$(awk '$NF == "a" { print $7 }' "$c")

# a's content changes (same size); the cache then says a hashes to h2
echo x2 >ctx/a
sleep 2.1
d2=$($STRATA build -q ctx)
r2=$(ref ctx)
h2=$(awk '$NF == "a" { print $7 }' "$c")
[ "$d2" = "$r2" ] && [ -n "$h1" ] && [ -n "$h2" ] && [ "$h1" != "$h2" ] && ok edit-seen ||
	fail edit-seen "$d2 vs $r2; hashes $h1 $h2"

# an entry damaged to claim a's old hash for its new stat: the checksum refuses the whole file
cp "$c" good
sed "s/ $h2 - a\$/ $h1 - a/" good >"$c"
cmp -s good "$c" && fail setup "entry not damaged"
d=$($STRATA build -q ctx)
[ "$d" = "$r2" ] && ok damaged-entry-refused || fail damaged-entry-refused "$d, want $r2 (old image $d1)"

# truncated, garbage, empty: a re-hash, the right image, and a good cache written back
head -c 1000 good >"$c"
d=$($STRATA build -q ctx)
[ "$d" = "$r2" ] && head -1 "$c" | grep -q '^strata-statcache-2 ' && [ "$(wc -l <"$c")" = "$(wc -l <good)" ] &&
	ok truncated || fail truncated "$d; $(head -1 "$c")"
head -c 8192 /dev/urandom >"$c"
d=$($STRATA build -q ctx 2>err) && [ "$d" = "$r2" ] && [ ! -s err ] && ok garbage || fail garbage "$d $(cat err)"
: >"$c"
d=$($STRATA build -q ctx 2>err) && [ "$d" = "$r2" ] && ok empty || fail empty "$d $(cat err)"
# a directory where the file goes: the build neither fails nor says anything
rm -f "$c" && mkdir "$c"
d=$($STRATA build -q ctx 2>err) && [ "$d" = "$r2" ] && [ ! -s err ] && ok directory-in-place ||
	fail directory-in-place "$d $(cat err)"
rmdir "$c"

# two builds at once, four rounds, each with its Dockerfile and some files changed in between
printf 'FROM scratch\nCOPY d /d\n' >Dockerfile.d
printf 'FROM scratch\nCOPY . /all\n' >Dockerfile.all
bad=
for round in 1 2 3 4; do
	echo "round $round" >ctx/d/f$round
	$STRATA build -q -f Dockerfile.d ctx >p1 2>e1 &
	$STRATA build -q -f Dockerfile.all ctx >p2 2>e2 &
	wait
	[ "$(cat p1)" = "$(ref -f Dockerfile.d ctx)" ] && [ "$(cat p2)" = "$(ref -f Dockerfile.all ctx)" ] ||
		bad="$bad round $round: $(cat p1 p2 e1 e2)"
done
[ -z "$bad" ] && ok parallel-builds || fail parallel-builds "$bad"
# what they left is a whole cache: a build trusts it (and still gives the right image)
d=$($STRATA build -q ctx)
head -1 "$c" | grep -q '^strata-statcache-2 ' && [ "$d" = "$(ref ctx)" ] && [ -z "$(ls "$STRATA_STORE/statcache" | grep tmp)" ] &&
	ok parallel-cache-whole || fail parallel-cache-whole "$(head -c 200 "$c"; ls "$STRATA_STORE/statcache")"

# gc: the cache of a context gone goes, the others stay
cp -a ctx ctx2
$STRATA build -q ctx2 >/dev/null
[ "$(ls "$STRATA_STORE/statcache" | wc -l)" = 2 ] && ok second-context || fail second-context "$(ls "$STRATA_STORE/statcache")"
rm -rf ctx2
$STRATA gc >/dev/null
[ "$(ls "$STRATA_STORE/statcache")" = "$(basename "$c")" ] && ok gc-drops-gone || fail gc-drops-gone "$(ls "$STRATA_STORE/statcache")"
