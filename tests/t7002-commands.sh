#!/bin/sh
# checks: 33
# the commands around the build, with their exact output where the output is
# the interface: version, help CMD, "did you mean", tag, history, images
# (table, -q, --format json), inspect (docker's JSON, several names,
# --format), save and load (format detected, the archive's names), rmi of
# several names and -f, gc saying what it freed.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
if ! need busybox jq; then
	skip t7002 "needs busybox (busybox-static) and jq"
	exit 0
fi
sh "$top/examples/base/busybox.sh" busybox >/dev/null 2>"$T/base.err" || { fail base "$(cat "$T/base.err")"; exit 0; }
mkdir -p ctx && printf 'FROM busybox\nCOPY f /f\nENV A=1\nCMD ["sh"]\n' >ctx/Dockerfile && head -c 5000 /dev/zero >ctx/f
id=$($S build -q -t app ctx 2>"$T/err") || fail build "$(cat "$T/err")"
short=$(echo "$id" | cut -c8-19)
bid=$($S inspect --format '{{.Id}}' busybox)
bshort=$(echo "$bid" | cut -c8-19)
years="$(( $(date +%s) / 86400 / 365 )) years ago"

# ---- version, help, did you mean ----
$S --version | grep -q '^strata version [0-9][0-9.]*$' && [ "$($S version)" = "$($S --version)" ] && ok version || fail version "$($S --version)"
[ "$($S help tag)" = "$($S tag --help)" ] && $S help tag | grep -q '^usage: strata tag SOURCE NEW$' && ok help-cmd || fail help-cmd "$($S help tag)"
check_err did-you-mean-cmd "strata: unknown command 'biuld' (did you mean build?)" $S biuld .
check_err did-you-mean-flag "strata: build: unknown flag: --tagg (did you mean --tag?)" $S build --tagg x ctx
check_err did-you-mean-flag2 "strata: images: unknown flag: --quite (did you mean --quiet?)" $S images --quite
check_err no-suggestion "strata: unknown command 'zzzzzz' (see strata --help)" $S zzzzzz
check_err flag-needs-value "strata: build: flag needs an argument: --iidfile" $S build ctx --iidfile

# ---- images ----
sz=$($S images | awk '$1 == "app" {print $NF}')
printf 'REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\napp          latest    %s   %s   %s\nbusybox      latest    %s   %s   %s\n' \
	"$short" "$years" "$sz" "$bshort" "$years" "$($S images | awk '$1 == "busybox" {print $NF}')" >want
$S images >got
cmp -s got want && ok images-table || fail images-table "$(cat got)"
printf '%s\n%s\n' "$short" "$bshort" >want
$S images -q >got && cmp -s got want && ok images-q || fail images-q "$(cat got)"
got=$($S images --format json | jq -r 'select(.Repository == "app") | [.Repository, .Tag, .ID, .CreatedSince, .Size] | join(",")')
[ "$got" = "app,latest,$short,$years,$sz" ] && ok images-json || fail images-json "$got"
# the size is the config and the layers uncompressed, as podman counts: > the 5000 zero bytes
n=$($S inspect --format '{{.Size}}' app); bn=$($S inspect --format '{{.Size}}' busybox)
[ "$n" -gt "$((bn + 5000))" ] && [ "$n" -lt "$((bn + 12000))" ] && ok image-size || fail image-size "$n vs $bn"

# ---- tag ----
check tag $S tag app other/name:v1
check_err tag-bad "strata: tag Bad:x: invalid reference format: repository name (library/Bad) must be lowercase" $S tag app Bad:x
check_err tag-missing "strata: no such image: nothere:latest" $S tag nothere x:y

# ---- inspect ----
$S inspect app busybox >insp.json
got=$(jq -r 'length, .[0].Id, (.[0].RepoTags | join(" ")), .[0].Config.Env[-1], (.[0].Config.Cmd | join(" ")), .[0].RootFS.Type, (.[0].RootFS.Layers | length), .[0].Os, .[0].Created, .[1].Id' insp.json | tr '\n' ,)
[ "$got" = "2,$id,app:latest other/name:v1,A=1,sh,layers,2,linux,1970-01-01T00:00:00Z,$bid," ] && ok inspect-json || fail inspect-json "$got"
jq -e '.[0].RepoDigests == ["app@'"$($S inspect --format '{{.Digest}}' app)"'", "other/name@'"$($S inspect --format '{{.Digest}}' app)"'"]' insp.json >/dev/null && ok inspect-repodigests || fail inspect-repodigests "$(jq -c '.[0].RepoDigests' insp.json)"
printf '%s [sh] ["sh"] map[A:1]\n%s [] null <no value>\n' "$id" "$bid" >want
$S inspect --format '{{.Id}} {{.Config.Cmd}} {{json .Config.Cmd}} {{.Labels.A}}' app busybox >got 2>&1
# .Labels is no field of the image: no value, as Go's templates say
sed -i 's/ map\[A:1\]$/ <no value>/' want
$S inspect -f '{{.Id}} {{.Config.Cmd}} {{json .Config.Cmd}} {{.Labels.A}}' app busybox >got 2>&1
sed -i 's/^\(sha256:[0-9a-f]*\) \[\] null/\1 <no value> null/' want
cmp -s got want && ok inspect-format || fail inspect-format "$(cat got) / $(cat want)"
$S inspect app nothere >two.json 2>two.err; rc=$?
[ $rc = 1 ] && [ "$(jq length two.json)" = 1 ] && [ "$(cat two.err)" = "strata: no such image: nothere:latest" ] && ok inspect-some-missing || fail inspect-some-missing "$rc $(cat two.err)"

# ---- history ----
$S history app >got
{
	printf '%-15s%-15s%-48s%-10s%s\n' IMAGE CREATED "CREATED BY" SIZE COMMENT
	printf '%-15s%-15s%-48s%-10s%s\n' "$short" "$years" 'CMD ["sh"]' 0B strata.dockerfile.v0
	printf '%-15s%-15s%-48s%-10s%s\n' '<missing>' "$years" 'ENV A=1' 0B strata.dockerfile.v0
} >want
head -n 3 got | cmp -s - want && sed -n 4p got | grep -q '^<missing>      .*COPY f /f.*  [0-9.]*kB  *strata.dockerfile.v0$' && ok history || fail history "$(cat got)"
$S history -q app | tr '\n' ' ' | grep -q "^$short <missing> <missing> " && ok history-q || fail history-q "$($S history -q app)"

# ---- save and load: the format is detected, the names come from the archive ----
check save-docker sh -c "$S save app >app-docker.tar"
check save-oci $S save --format oci-archive -o app-oci.tar other/name:v1
STRATA_STORE=$T/s2 $S load -i app-docker.tar >l1 2>&1 && [ "$(cat l1)" = "Loaded image: app:latest" ] &&
	[ "$(STRATA_STORE=$T/s2 $S inspect --format '{{.Id}}' app)" = "$id" ] && ok load-docker || fail load-docker "$(cat l1)"
STRATA_STORE=$T/s3 $S load <app-oci.tar >l2 2>&1 && [ "$(cat l2)" = "Loaded image: other/name:v1" ] &&
	[ "$(STRATA_STORE=$T/s3 $S inspect --format '{{.Id}}' other/name:v1)" = "$id" ] && ok load-oci-stdin || fail load-oci-stdin "$(cat l2)"
$S build -q -o oci-archive:unnamed.tar ctx >/dev/null
STRATA_STORE=$T/s4 $S load -i unnamed.tar >l3 2>&1 && [ "$(cat l3)" = "Loaded image ID: $id" ] &&
	[ "$(STRATA_STORE=$T/s4 $S inspect --format '{{.Id}}' "$short")" = "$id" ] && ok load-unnamed || fail load-unnamed "$(cat l3)"
printf 'not a tar' >bad.tar
check_err load-bad "strata: bad.tar: not an archive (want a docker-archive or an oci-archive)" $S load -i bad.tar
mkdir -p notimg && echo x >notimg/x && tar -cf notimg.tar -C notimg x
check_err load-not-image "strata: notimg.tar: neither a docker archive (manifest.json) nor an OCI archive (index.json)" \
	$S load -i notimg.tar

# ---- rmi several, -f, then gc says what it freed ----
$S tag app third:x
check_err rmi-id-several "strata: conflict: unable to delete $short (must be forced) - image is referenced in 3 names" $S rmi "$short"
printf 'Untagged: app:latest\nUntagged: other/name:v1\n' >want
$S rmi app other/name:v1 >got 2>&1 && cmp -s got want && ok rmi-several || fail rmi-several "$(cat got)"
printf 'Untagged: third:x\n' >want
$S rmi -f "$short" nothere >got 2>&1 && cmp -s got want && ok rmi-force || fail rmi-force "$(cat got)"
$S gc >gc1 && grep -q '^freed [0-9.]*[kM]\?B ([0-9]* bytes)$' gc1 && ok gc-says || fail gc-says "$(cat gc1)"
$S gc --all >gc2 && n=$(sed 's/.*(\([0-9]*\) bytes)/\1/' gc2) && [ "$n" -gt 1000 ] && ok gc-all-frees || fail gc-all-frees "$(cat gc1 gc2)"
[ "$($S images -q)" = "$bshort" ] && $S inspect busybox >/dev/null && ok gc-kept-named || fail gc-kept-named "$($S images)"
