#!/bin/sh
# checks: 28
# names and IDs as docker and podman use them: docker's reference grammar and
# its messages, one name for busybox / library/busybox / docker.io/library/
# busybox:latest, NAME@sha256 pins (also in FROM), the image ID = the config
# digest, unique ID prefixes, -q and --iidfile, no -t = unnamed, and the ID
# strata prints equal to podman's after `strata export ... | podman load`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/podman.sh"
S=$STRATA
cd "$T" || exit 1
if ! need busybox; then
	skip t7000 "needs busybox (busybox-static)"
	exit 0
fi
sh "$top/examples/base/busybox.sh" busybox >/dev/null 2>"$T/base.err" || { fail base "$(cat "$T/base.err")"; exit 0; }
bid=$($S inspect --format '{{.Id}}' busybox)

# ---- one name, written four ways ----
same=ok
for n in library/busybox docker.io/library/busybox:latest index.docker.io/library/busybox busybox:latest; do
	[ "$($S inspect --format '{{.Id}}' "$n" 2>&1)" = "$bid" ] || same="$n: $($S inspect --format '{{.Id}}' "$n" 2>&1)"
done
[ "$same" = ok ] && ok normalised-names || fail normalised-names "$same"

# ---- docker's messages for bad tags; nothing runs, nothing is written ----
mkdir -p ctx && printf 'FROM busybox\nCOPY f /f\nCMD ["sh"]\n' >ctx/Dockerfile && echo data >ctx/f
check_err tag-empty 'strata: invalid argument "" for "-t, --tag" flag: invalid reference format' \
	$S build -t "" -o oci-archive:"$T/never.tar" ctx
check_err tag-colon 'strata: invalid argument "app:" for "-t, --tag" flag: invalid reference format' \
	$S build -t app: -o oci-archive:"$T/never.tar" ctx
check_err tag-upper 'strata: invalid argument "UPPER" for "-t, --tag" flag: invalid reference format: repository name (library/UPPER) must be lowercase' \
	$S build -t ok -t UPPER -o oci-archive:"$T/never.tar" ctx
check_err tag-hex 'strata: invalid argument "'"${bid#sha256:}"'" for "-t, --tag" flag: invalid repository name ('"${bid#sha256:}"'), cannot specify 64-byte hexadecimal strings' \
	$S build -t "${bid#sha256:}" ctx
check_err tag-digest-length 'strata: invalid argument "app@sha256:0123456789abcdef0123456789abcdef" for "-t, --tag" flag: invalid checksum digest length' \
	$S build -t app@sha256:0123456789abcdef0123456789abcdef ctx
if [ ! -e never.tar ] && [ "$($S images -q | wc -l)" = 1 ] && [ -z "$(ls "$STRATA_STORE/results")" ]; then
	ok bad-tag-nothing-done
else
	fail bad-tag-nothing-done "$(ls) / $($S images)"
fi

# ---- the ID: -q, --iidfile, inspect, images, all the config digest ----
id=$($S build -q -t app --iidfile "$T/iid" ctx 2>"$T/err")
cd_=$($S inspect --config app | sha256sum | cut -c1-64)
cfg=$(sed -n 's/^{"config":{"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$STRATA_STORE/blobs/sha256/$($S inspect --format '{{.Digest}}' app | cut -c8-)")
case $id in sha256:????????????????????????????????????????????????????????????????) ok quiet-id ;; *) fail quiet-id "[$id] $(cat "$T/err")" ;; esac
[ "$id" = "$cfg" ] && ok id-is-config-digest || fail id-is-config-digest "$id vs $cfg"
[ "$(cat "$T/iid")" = "$id" ] && ok iidfile || fail iidfile "$(cat "$T/iid") vs $id"
[ "$($S inspect --format '{{.Id}}' app)" = "$id" ] && ok inspect-id || fail inspect-id "$($S inspect --format '{{.Id}}' app)"
short=$(echo "$id" | cut -c8-19)
$S images | grep -q "^app  *latest  *$short  " && ok images-id || fail images-id "$($S images)"
$S build -t app2 ctx >/dev/null 2>"$T/plain.err"
tail -n 1 "$T/plain.err" | grep -q "^built $short in [0-9.]*s; tagged app2:latest$" && ok summary-id || fail summary-id "$(tail -n 1 "$T/plain.err")"

# ---- unique prefixes wherever a name goes ----
[ "$($S inspect --format '{{.Id}}' "$(echo "$id" | cut -c8-13)")" = "$id" ] && ok prefix-inspect || fail prefix-inspect "$($S inspect "$(echo "$id" | cut -c8-13)" 2>&1 | head -3)"
[ "$($S inspect --format '{{.Id}}' "$(echo "$id" | cut -c1-12)")" = "$id" ] && ok prefix-sha256 || fail prefix-sha256 "sha256:prefix"
check prefix-export $S export "$(echo "$id" | cut -c8-17)" oci:"$T/byid"
check prefix-tag $S tag "$short" named:v1
[ "$($S inspect --format '{{.Id}}' named:v1)" = "$id" ] && ok prefix-tagged || fail prefix-tagged "named:v1"
check_err prefix-unknown "strata: no such image: ffffffffff" $S inspect ffffffffff
# 17 images: two share a first hex digit, and that digit is ambiguous
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	printf 'FROM busybox\nCMD ["echo", "%s"]\n' "$i" >"ctx/D$i"
	$S build -q -t "many:$i" -f "ctx/D$i" ctx >>ids 2>>"$T/err"
done
c=$(cut -c8 ids | sort | uniq -d | head -n 1)
$S inspect "$c" >/dev/null 2>"$T/amb.err"
grep -q "^strata: ambiguous image ID prefix $c: sha256:$c[0-9a-f]\{11\} and sha256:$c[0-9a-f]\{11\} match$" "$T/amb.err" &&
	ok prefix-ambiguous || fail prefix-ambiguous "[$c] $(cat "$T/amb.err")"

# ---- NAME@sha256 pins a manifest, in commands and in FROM ----
md=$($S inspect --format '{{.Digest}}' busybox)
[ "$($S inspect --format '{{.Id}}' "busybox@$md")" = "$bid" ] && ok pin-inspect || fail pin-inspect "busybox@$md"
printf 'FROM busybox@%s\nCMD ["pinned"]\n' "$md" >ctx/Dpin
check pin-from $S build -q -t pinned -f ctx/Dpin ctx
printf 'FROM busybox@sha256:%s\nCMD ["pinned"]\n' 0000000000000000000000000000000000000000000000000000000000000000 >ctx/Dbad
check_err pin-from-missing "strata: ctx/Dbad:1:1: image busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000: not in the store (strata import it first)" \
	$S build -f ctx/Dbad ctx
printf 'FROM Busybox\n' >ctx/Dupper
check_err from-bad-name "strata: ctx/Dupper:1:1: invalid reference format: repository name (library/Busybox) must be lowercase" \
	$S build -f ctx/Dupper ctx

# ---- no -t: unnamed in the archives ----
$S build -q -o oci-archive:"$T/unnamed.tar" -o docker-archive:"$T/unnamed-d.tar" ctx >/dev/null 2>"$T/err"
mkdir un && tar -xf unnamed.tar -C un && tar -xf unnamed-d.tar -C un manifest.json
if ! grep -q 'org.opencontainers.image.ref.name' un/index.json && grep -q '"RepoTags":\[\]' un/manifest.json; then
	ok unnamed-output
else
	fail unnamed-output "$(cat un/index.json un/manifest.json)"
fi

# ---- podman: the ID strata prints is podman's, through a pipe ----
if podman_setup; then
	$S export app docker-archive:- | podman load -q >"$T/pl.out" 2>"$T/pl.err"
	got=$(podman images --format '{{.ID}}' 2>&1)
	[ "$got" = "$short" ] && ok podman-id-docker-archive || fail podman-id-docker-archive "podman [$got] strata [$short] $(cat "$T/pl.err")"
	podman rmi -a -f >/dev/null 2>&1
	nid=$($S build -o oci-archive:- -t piped ctx 2>"$T/err" | podman load -q 2>"$T/pl.err")
	got=$(podman images --format '{{.ID}} {{.Repository}}:{{.Tag}}' 2>&1)
	[ "$got" = "$short localhost/piped:latest" ] && ok podman-build-oci-pipe || fail podman-build-oci-pipe "podman [$got] $nid $(cat "$T/pl.err" "$T/err")"
	podman rmi -a -f >/dev/null 2>&1
	podman load -q -i "$T/unnamed.tar" >/dev/null 2>"$T/pl.err"
	got=$(podman images --format '{{.ID}} {{.Repository}}:{{.Tag}}' 2>&1)
	[ "$got" = "$short <none>:<none>" ] && ok podman-unnamed || fail podman-unnamed "podman [$got] $(cat "$T/pl.err")"
	podman rmi -a -f >/dev/null 2>&1
else
	skip podman-id-docker-archive "$podman_why"
	skip podman-build-oci-pipe "$podman_why"
	skip podman-unnamed "$podman_why"
fi
