#!/bin/sh
# checks: 22
# outputs never destroy: - and /dev/stdout are streamed into, a fifo, a
# character device and a symlink to one stay what they were, a regular file
# is replaced whole (no temporary file left), a directory where a file is
# wanted is an error before anything runs, and docker's -o type=... forms
# map to strata's transports.
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
if ! need busybox; then
	skip t7001 "needs busybox (busybox-static)"
	exit 0
fi
sh "$top/examples/base/busybox.sh" busybox >/dev/null 2>"$T/base.err" || { fail base "$(cat "$T/base.err")"; exit 0; }
mkdir -p ctx && printf 'FROM busybox\nCOPY f /f\n' >ctx/Dockerfile && echo data >ctx/f
$S build -q -t app ctx >/dev/null 2>"$T/err" || fail build "$(cat "$T/err")"

# ---- streams ----
$S export app docker-archive:- >stdout.tar 2>"$T/err" && tar -tf stdout.tar | grep -q '^manifest.json$' &&
	ok export-dash || fail export-dash "$(cat "$T/err")"
$S export app oci-archive:/dev/stdout >devstdout.tar 2>"$T/err" && tar -tf devstdout.tar | grep -q '^index.json$' &&
	[ -c /dev/stdout ] || [ -p /dev/stdout ] || [ -L /dev/stdout ] && ok export-dev-stdout || fail export-dev-stdout "$(cat "$T/err")"
mkfifo fifo
(cat fifo >fromfifo.tar) &
$S export app docker-archive:fifo 2>"$T/err"
wait
if [ -p fifo ] && tar -tf fromfifo.tar | grep -q '^manifest.json$'; then ok export-fifo; else fail export-fifo "$(ls -l fifo) $(cat "$T/err")"; fi
(cat fifo >fromfifo2.tar) &
$S build -o oci-archive:fifo ctx 2>"$T/err"
wait
if [ -p fifo ] && tar -tf fromfifo2.tar | grep -q '^index.json$'; then ok build-fifo; else fail build-fifo "$(cat "$T/err")"; fi
before=$(stat -c '%F %t:%T %a' /dev/null)
$S export app docker-archive:/dev/null 2>"$T/err"
[ "$(stat -c '%F %t:%T %a' /dev/null)" = "$before" ] && [ ! -s "$T/err" ] && ok export-char-device || fail export-char-device "$(stat -c '%F' /dev/null) $(cat "$T/err")"
ln -s /dev/null devlink
$S export app oci-archive:devlink 2>"$T/err"
[ -L devlink ] && [ "$(readlink devlink)" = /dev/null ] && [ "$(stat -c '%F %t:%T' /dev/null)" = "${before% *}" ] &&
	ok export-symlink-to-device || fail export-symlink-to-device "$(ls -l devlink) $(cat "$T/err")"

# ---- files: replaced whole, through a symlink to the target ----
echo old >out.tar
ino=$(stat -c %i out.tar)
$S export app docker-archive:out.tar 2>"$T/err"
tar -tf out.tar | grep -q '^manifest.json$' && [ "$(stat -c %i out.tar)" != "$ino" ] && [ -z "$(ls | grep tmp-)" ] &&
	ok export-file-replaced || fail export-file-replaced "$(ls) $(cat "$T/err")"
echo old >target.tar && ln -s target.tar link.tar
$S export app docker-archive:link.tar 2>"$T/err"
[ -L link.tar ] && tar -tf target.tar | grep -q '^manifest.json$' && ok export-symlink-file || fail export-symlink-file "$(ls -l) $(cat "$T/err")"

# ---- checked before any step runs ----
mkdir adir
check_err dir-for-file "strata: adir: is a directory (want a file, a stream or -)" $S build -t never -o docker-archive:adir ctx
check_err missing-parent "strata: nodir/x.tar: directory nodir: No such file or directory" $S build -t never -o oci-archive:nodir/x.tar ctx
echo x >afile
check_err file-for-dir "strata: afile: not a directory" $S build -t never -o oci:afile ctx
check_err dash-for-dir "strata: oci:-: a directory output cannot go to standard output" $S build -t never -o oci:- ctx
check_err two-stdout "strata: build: only one output can go to standard output (-o ...:-, --iidfile -, -q)" \
	$S build -q -t never -o docker-archive:- ctx
check_err export-dir "strata: adir: is a directory (want a file, a stream or -)" $S export app oci-archive:adir
check_err bad-transport 'strata: docker://x/y: cannot export to transport "docker" (want oci:, oci-archive: or docker-archive:)' \
	$S build -t never -o docker://x/y ctx
check_err bad-type 'strata: -o type=registry,dest=x: output type "registry" is not supported (want oci, docker, tar or local)' \
	$S build -t never -o type=registry,dest=x ctx
check_err no-dest 'strata: -o type=oci: dest is required for output type oci' $S build -t never -o type=oci ctx
# none of them ran a step or named an image
[ -z "$($S images | grep never)" ] && [ "$(ls "$STRATA_STORE/results" | wc -l)" = 1 ] && ok nothing-ran || fail nothing-ran "$($S images)"

# ---- docker's -o forms ----
$S build -o type=oci,dest=t-oci.tar -o type=docker,dest=t-docker.tar,name=named:v2 -o type=tar,dest=t-fs.tar \
	-o type=local,dest=t-local -o t-bare ctx 2>"$T/err" || fail docker-forms "$(cat "$T/err")"
tar -tf t-oci.tar | grep -q '^index.json$' && ok type-oci || fail type-oci "$(tar -tf t-oci.tar | head -3)"
tar -xOf t-docker.tar manifest.json | grep -q '"RepoTags":\["named:v2"\]' && ok type-docker-name || fail type-docker-name "$(tar -xOf t-docker.tar manifest.json)"
[ "$(tar -xOf t-fs.tar f)" = data ] && tar -tf t-fs.tar | grep -q '^bin/busybox$' && ok type-tar || fail type-tar "$(tar -tf t-fs.tar | head)"
[ "$(cat t-local/f)" = data ] && [ -x t-bare/bin/busybox ] && ok type-local || fail type-local "$(ls t-local t-bare)"
