#!/bin/sh
# checks: 43
# BuildKit's COPY/ADD and image rules where strata differed (issue 8): each check builds with
# strata and states docker's (BuildKit's) result on the image
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need umoci skopeo python3 tar || { skip parity-build "umoci, skopeo, python3 or tar missing"; exit 0; }

# b NAME 'DOCKERFILE' [FLAGS]: build context ctx-NAME (made by the caller or empty) into oci:img:NAME
# and unpack it into u-NAME
b() {
	n=$1 df=$2; shift 2
	mkdir -p "ctx-$n"
	printf "$df" >"ctx-$n/Dockerfile"
	rm -rf "u-$n"
	if $S build -q "$@" -o "oci:$T/img:$n" "ctx-$n" >"$n.out" 2>"$n.err" && umoci unpack --image "img:$n" "u-$n" >/dev/null 2>&1
	then ok "parity-build:$n"; else fail "parity-build:$n" "$(cat "$n.err")"; fi
}
# t NAME GOT WANT
t() { [ "$2" = "$3" ] && ok "parity-build:$1" || fail "parity-build:$1" "got [$2] want [$3]"; }
cfg() { skopeo inspect --config --raw "oci:$T/img:$1" | python3 -c "import json,sys; c=json.load(sys.stdin); print($2)" 2>&1; }
st() { stat -c "$2" "u-$1/rootfs$3" 2>&1; }

# a base with a symlinked directory (var/run -> /run, as Debian has) and a symlinked /dst/app
mkdir -p root/run root/var root/real root/dst root/etc
ln -s /run root/var/run
ln -s /real root/dst/app
echo 'root:x:0:0::/:/bin/sh' >root/etc/passwd
$S import rootfs:"$T/root" parity-base:1 >/dev/null || { fail setup "import failed"; exit 0; }

# 3: --chmod makes new parents with its mode
mkdir -p ctx-chmod && echo x >ctx-chmod/f
b chmod 'FROM scratch\nCOPY --chmod=777 f /parent/sub/f\n'
t chmod-parents "$(st chmod %a /parent) $(st chmod %a /parent/sub) $(st chmod %a /parent/sub/f)" '777 777 777'

# 4: a socket in the context is an empty regular file
mkdir -p ctx-sock/d && python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('ctx-sock/d/s')"
b sock 'FROM scratch\nCOPY d /d/\n'
t sock-file "$(st sock %F /d/s)" 'regular empty file'

# 5: a wildcard that matches nothing is fine next to a source that matches
mkdir -p ctx-nomatch && echo foo >ctx-nomatch/foo
b nomatch 'FROM scratch\nCOPY foo nomatch* /\nCOPY --parents foo nomatch* /p/\nADD --exclude=x foo nomatch* /a/\n'
t nomatch-files "$(cat u-nomatch/rootfs/foo u-nomatch/rootfs/p/foo u-nomatch/rootfs/a/foo 2>&1 | tr '\n' ' ')" 'foo foo foo '

# 6 and 7: several archives unpack into a destination without a slash; --unpack=false keeps them
mkdir -p ctx-tars/one ctx-tars/two && echo 1 >ctx-tars/one/1 && echo 2 >ctx-tars/two/2
tar -C ctx-tars/one -cf ctx-tars/a.tar 1 && tar -C ctx-tars/two -cf ctx-tars/b.tar 2
b tars 'FROM scratch\nADD *.tar /dest\nADD --unpack=false a.tar /kept/\nADD --unpack=true b.tar /unpacked/\n'
t tars-unpacked "$(cat u-tars/rootfs/dest/1 u-tars/rootfs/dest/2 u-tars/rootfs/unpacked/2 2>&1 | tr '\n' ' ')" '1 2 2 '
t tars-kept "$(st tars %F /kept/a.tar)" 'regular file'

# 8: ADD of an archive and COPY --parents go through the base's symlinked directories
mkdir -p ctx-links/src/var/run ctx-links/app && echo pid >ctx-links/src/var/run/x.pid && echo a >ctx-links/app/x.txt
tar -C ctx-links/src -cf ctx-links/run.tar var
b links 'FROM parity-base:1\nADD run.tar /\nCOPY --parents app/x.txt /dst/\n'
t links-add "$(cat u-links/rootfs/run/x.pid 2>&1) $(st links %F /var/run)" 'pid symbolic link'
t links-parents "$(cat u-links/rootfs/real/x.txt 2>&1) $(st links %F /dst/app)" 'a symbolic link'

# 9: --parents keeps what follows "/./", and ** is any depth
mkdir -p ctx-parents/x/y/z && echo a >ctx-parents/x/y/a.txt && echo c >ctx-parents/x/y/z/c.txt && echo t >ctx-parents/top.txt
b parents 'FROM scratch\nCOPY --parents ./x/./y/*.txt /p/\nCOPY --parents **/*.txt /q/\n'
t parents-pivot "$(cd u-parents/rootfs/p && find . -type f | sort | tr '\n' ' ')" './y/a.txt '
t parents-any-depth "$(cd u-parents/rootfs/q && find . -type f | sort | tr '\n' ' ')" './top.txt ./x/y/a.txt ./x/y/z/c.txt '

# 10: a context with only a lower-case dockerfile uses it
mkdir -p ctx-lower && printf 'FROM scratch\nLABEL lower=yes\n' >ctx-lower/dockerfile
if $S build -q -o "oci:$T/img:lower" ctx-lower >/dev/null 2>lower.err; then t lower-dockerfile "$(cfg lower "c['config']['Labels']['lower']")" yes
else fail parity-build:lower-dockerfile "$(cat lower.err)"; fi

# 11: FROM scratch has WorkingDir /
b scratch 'FROM scratch\nENV foo=bar\n'
t scratch-workdir "$(cfg scratch "c['config'].get('WorkingDir')")" '/'

# 12, 13: EXPOSE words and mappings
b expose 'FROM scratch\nENV PORTS="3000 4000/udp"\nEXPOSE $PORTS\nEXPOSE 127.0.0.1:80:80 5000:5000\n'
t expose-ports "$(cfg expose "sorted(c['config']['ExposedPorts'])")" "['3000/tcp', '4000/udp', '5000/tcp', '80/tcp']"
t expose-warning "$($S build ctx-expose 2>&1 | grep -c 'warning: ctx-expose/Dockerfile:4:.*ExposeInvalidFormat')" 2

# 14: two stages of one name: the later wins
mkdir -p ctx-dup
b dup 'FROM scratch AS s\nLABEL which=first\nFROM scratch AS s\nLABEL which=second\nFROM s\n'
t dup-later "$(cfg dup "c['config']['Labels']['which']")" second

# 17: ONBUILD triggers of a stage fire in a stage built FROM it
b onbuild 'FROM scratch AS base\nONBUILD LABEL fired=yes\nFROM base\nLABEL own=1\n'
t onbuild-fired "$(cfg onbuild "sorted(c['config']['Labels'].items()), c['config'].get('OnBuild')")" "[('fired', 'yes'), ('own', '1')] None"

# 18: --label
b label 'FROM scratch\nLABEL a=1\n' --label b=2 --label 'c=x y'
t label-set "$(cfg label "sorted(c['config']['Labels'].items()), len(c['history'])")" "[('a', '1'), ('b', '2'), ('c', 'x y')] 1"

# 19: SOURCE_DATE_EPOCH as a build arg and as a global ARG
b epoch 'FROM scratch\nLABEL e=1\n' --build-arg SOURCE_DATE_EPOCH=86400
t epoch-build-arg "$(cfg epoch "c['created'], c['history'][0]['created']")" '1970-01-02T00:00:00Z 1970-01-02T00:00:00Z'
b epocharg 'ARG SOURCE_DATE_EPOCH=172800\nFROM scratch\nLABEL e=1\n'
t epoch-arg "$(cfg epocharg "c['created']")" '1970-01-03T00:00:00Z'

# 20: TARGETSTAGE
b tstage 'FROM scratch AS one\nARG TARGETSTAGE\nLABEL t=$TARGETSTAGE\nFROM scratch AS two\n' --target one
t targetstage "$(cfg tstage "c['config']['Labels']['t']")" one

# 21: history in BuildKit's text
mkdir -p ctx-hist && echo 2 >ctx-hist/foo2
b hist 'FROM scratch AS base\nCOPY foo2 /foo2\nFROM base\nCOPY --from=base foo2 foo3\nEXPOSE 2375 5000 1234/udp\nENV A=1 B=2\nCMD echo hi\nWORKDIR /w\nUSER 1:2\nONBUILD LABEL x=y\n'
t history "$(cfg hist "[h['created_by'] for h in c['history']]")" "['COPY foo2 /foo2 # buildkit', 'COPY foo2 foo3 # buildkit', 'EXPOSE [1234/udp 2375/tcp 5000/tcp]', 'ENV A=1 B=2', 'CMD [\"/bin/sh\" \"-c\" \"echo hi\"]', 'WORKDIR /w', 'USER 1:2']"

b hist2 'FROM scratch\nHEALTHCHECK --interval=1m30s --timeout=1500ms --retries=3 CMD curl -f http://h/\nSHELL ["/bin/bash","-c"]\nVOLUME /v /w\nARG X=1 Y\nLABEL a="b c"\nADD --chown=1:2 --chmod=600 <<EOF /x\nhi\nEOF\n'
t history-go-format "$(cfg hist2 "[h['created_by'] for h in c['history']]")" "['HEALTHCHECK {Test:[CMD-SHELL curl -f http://h/] Interval:1m30s Timeout:1.5s StartPeriod:0s StartInterval:0s Retries:3}', 'SHELL [/bin/bash -c]', 'VOLUME [/v /w]', 'ARG X=1 Y', 'LABEL a=b c', 'ADD --chown=1:2 --chmod=600 <<EOF /x # buildkit']"

# issue 6 item 21: a USER that expands to nothing builds (root)
b user 'FROM scratch\nUSER $APP_UID\n'
t user-empty "$(cfg user "c['config'].get('User')")" None

# the design choice: modes normalised as git does, unless --keep-modes (and the key covers it)
mkdir -p ctx-modes && echo s >ctx-modes/secret && chmod 0600 ctx-modes/secret
b modes 'FROM scratch\nCOPY secret /secret\n'
t modes-normalised "$(st modes %a /secret)" 644
b modes 'FROM scratch\nCOPY secret /secret\n' --keep-modes
t modes-kept "$(st modes %a /secret)" 600
