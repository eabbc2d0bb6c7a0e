#!/bin/sh
# checks: 8
# COPY rules where docker is explicit and buildah cannot be the judge
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need umoci || { skip copy-rules "umoci missing"; exit 0; }

# a base with a sticky /tmp and a stage that owns its files
mkdir -p root/tmp root/srv root/etc
chmod 1777 root/tmp
chown 7:8 root/srv
chmod 0750 root/srv
echo 'root:x:0:0::/:/bin/sh' >root/etc/passwd
$S import rootfs:"$T/root" rules-base:1 >/dev/null || { fail setup "import failed"; exit 0; }

mkdir -p ctx/d/sub && echo a >ctx/d/a && echo b >ctx/d/sub/b
cat >ctx/Dockerfile <<'DF'
FROM rules-base:1 AS src
COPY --chown=1000:1000 d /owned/
FROM rules-base:1
# into existing directories: their mode and owner stay
COPY d/a /tmp/
COPY d /srv
# from a stage: contents keep their owners, the new destination is root's and 0755
COPY --from=src /owned /fromstage
# --chown makes the new destination the user's
COPY --chown=5:6 d /chowned
DF
check build $S build -q -o "oci:$T/out:x" ctx
umoci unpack --image out:x b >/dev/null 2>&1
st() { stat -c '%a %u:%g' "b/rootfs$1" 2>&1; }
t() { got=$(st "$2"); [ "$got" = "$3" ] && ok "copy-rules:$1" || fail "copy-rules:$1" "$2: got $got want $3"; }
t existing-sticky /tmp '1777 0:0'
t existing-owned /srv '750 7:8'
t into-existing /srv/sub/b '644 0:0'
t from-stage-contents /fromstage/sub/b '644 1000:1000'
t from-stage-dest /fromstage '755 0:0'
t chown-dest /chowned '755 5:6'
t chown-contents /chowned/sub '755 5:6'
