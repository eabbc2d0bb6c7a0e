#!/bin/sh
# checks: 10
# t5040-run-userns: RUN by a user other than root, in a user namespace of strata's own. A user with
# /etc/subuid and /etc/subgid ranges (newuidmap) builds a Dockerfile with whiteouts, an opaque
# directory, hard links, chmod, chown to 1000 and USER 1000, and gets root's image digest; a user
# without ranges (one id) does too for a root-owned base, and gets one-line errors naming the
# limit for an owner or a USER outside its map; a default network without /dev/net/tun access says
# why; gc removes what the ranges own.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then skip t5040 "needs root (to create the users)"; exit 0; fi
bb=$(command -v busybox || true)
if [ -z "$bb" ] || ! need useradd userdel setpriv newuidmap newgidmap python3; then
	skip t5040 "needs busybox, useradd, setpriv, newuidmap (uidmap) and python3"; exit 0
fi
S=$STRATA
cd "$T" || exit 1
chmod 755 "$T"
ur=st5040r$$ us=st5040s$$
made=
for f in /etc/subuid /etc/subgid; do [ -e $f ] || { : >$f && made="$made $f"; }; done
trap 'userdel "$ur" 2>/dev/null; userdel "$us" 2>/dev/null; for f in $made; do [ -s $f ] || rm -f $f $f-; done; rm -rf "$T"' EXIT
useradd -M -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -s /bin/sh "$ur" &&
	useradd -M -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -s /bin/sh "$us" ||
	{ fail t5040/setup "useradd failed"; exit 0; }
# the ranges: a free block well above the ones useradd hands out
base=$((3000000 + ($$ % 1000) * 70000))
usermod --add-subuids "$base-$((base + 65535))" --add-subgids "$base-$((base + 65535))" "$ur" ||
	{ fail t5040/setup "usermod --add-subuids failed"; exit 0; }
for u in "$ur" "$us"; do mkdir "store-$u" && chown "$u:$u" "store-$u"; done
as() { u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups env STRATA_STORE="$T/store-$u" "$@"; }
# a probe: may this kernel give a user a namespace at all?
if ! as "$us" unshare -U true 2>/dev/null; then skip t5040 "no unprivileged user namespaces here"; exit 0; fi

# the bases: examples/base/busybox.sh (home/app owned by 1000) and one owned by root alone
busybox_base t5040
mkdir -p r0/bin r0/etc r0/tmp && cp "$bb" r0/bin/busybox && ln -s busybox r0/bin/sh &&
	printf 'root:x:0:0:root:/root:/bin/sh\n' >r0/etc/passwd && printf 'root:x:0:\n' >r0/etc/group && chmod 1777 r0/tmp
$S import rootfs:"$T/r0" base0:1 >/dev/null && $S export base:1 oci:"$T/base" >/dev/null &&
	$S export base0:1 oci:"$T/base0" >/dev/null || { fail t5040/setup "import or export of the bases failed"; exit 0; }
for u in "$ur" "$us"; do
	as "$u" $S import oci:"$T/base" base:1 >/dev/null 2>imp.err && as "$u" $S import oci:"$T/base0" base0:1 >/dev/null 2>>imp.err ||
		{ fail t5040/setup "import as $u: $(head -c 300 imp.err)"; exit 0; }
done
mkdir ctx && chmod 755 ctx
cat >ctx/Dockerfile <<'DF'
FROM base:1
RUN mkdir -p /a/b /own && echo hi >/a/b/f && ln /a/b/f /a/h && chmod 700 /a && rm /bin/vi && echo x >/own/f && chown -R 1000:1000 /own && chmod 700 /own
RUN rm -rf /a/b && mkdir /a/b && echo new >/a/b/g && chown 1000:1000 /a/b/g && touch /home/app/made
USER 1000
RUN echo "$(id -u):$(id -g)" >/home/app/ids
DF
sed -e 's/base:1/base0:1/' -e 's/ && chown[^&]*//g' -e '/^USER/d' -e 's|/home/app/|/tmp/|' -e 's|rm /bin/vi|rm /etc/group|' ctx/Dockerfile >ctx/Dockerfile.0
B() { $S build -q --network=none "$@"; }
want=$(B ctx 2>r.err) && want0=$(B -f ctx/Dockerfile.0 ctx 2>>r.err) || { fail t5040/setup "root's builds: $(head -c 300 r.err)"; exit 0; }
got=$(as "$ur" $S build -q --network=none ctx 2>u.err)
[ -n "$got" ] && [ "$got" = "$want" ] && ok t5040/ranges-same-digest || fail t5040/ranges-same-digest "[$got] want [$want]: $(head -c 300 u.err)"
got=$(as "$us" $S build -q --network=none -f ctx/Dockerfile.0 ctx 2>s.err)
[ -n "$got" ] && [ "$got" = "$want0" ] && ok t5040/one-id-same-digest || fail t5040/one-id-same-digest "[$got] want [$want0]: $(head -c 300 s.err)"
# what the builds ran as, seen from the host: the store's files belong to the user and its ranges
uid=$(id -u "$ur")
[ "$(stat -c %u "$T/store-$ur/blobs")" = "$uid" ] && ok t5040/store-owned-by-user || fail t5040/store-owned-by-user "$(stat -c %u "$T/store-$ur/blobs")"
n=$(find "$T/store-$ur/dirs" -uid $((base + 999)) | wc -l)
[ "$n" -gt 0 ] && ok t5040/ranges-own-files || fail t5040/ranges-own-files "no file of uid $((base + 999)) (1000 in the namespace)"
# one id: an owner or a USER outside the map is a one-line error naming the limit
as "$us" $S build -q --network=none ctx >o.out 2>o.err
[ $? = 1 ] && [ "$(wc -l <o.err)" = 1 ] && grep -q "owner 1000:1000 has no id in this user namespace (a build by a user other than root maps only the user's id and its /etc/subuid and /etc/subgid ranges" o.err &&
	ok t5040/one-id-owner-error || fail t5040/one-id-owner-error "$(head -c 400 o.err)"
printf 'FROM base0:1\nUSER 1000\nRUN true\n' >ctx/Dockerfile.u
check_err t5040/one-id-user-error "strata: ctx/Dockerfile.u:3:1: uid 1000 has no id in this user namespace (a build by a user other than root maps only the user's id and its /etc/subuid and /etc/subgid ranges; add them, or build as root)" \
	as "$us" $S build -q --network=none -f ctx/Dockerfile.u ctx
# the default network: slirp4netns opens /dev/net/tun as the user
printf 'FROM base0:1\nRUN echo net >/n\n' >ctx/Dockerfile.n
if as "$us" test -r /dev/net/tun -a -w /dev/net/tun; then
	check t5040/default-network as "$us" $S build -q -f ctx/Dockerfile.n ctx
else
	check_err t5040/default-network "strata: ctx/Dockerfile.n:2:1: the default network of a build by a user other than root needs /dev/net/tun, which this user may not open (udev makes it mode 0666); --network=none has no network, --network=host the host's" \
		as "$us" $S build -q -f ctx/Dockerfile.n ctx
fi
# strata run as the user
out=$(as "$us" $S run --rm --network=none base0:1 sh -c 'id -u; cat /proc/self/uid_map | wc -l' 2>run.err | tr '\n' ' ')
[ "$out" = "0 1 " ] && ok t5040/strata-run || fail t5040/strata-run "[$out] $(head -c 300 run.err)"
# nothing left mounted, and gc frees what the ranges own (a 0700 directory of uid 1000 with a file)
[ -z "$(findmnt -rn -o TARGET | grep "$T")" ] && ok t5040/no-mounts-left || fail t5040/no-mounts-left "$(findmnt -rn -o TARGET | grep "$T")"
as "$ur" $S rmi base:1 base0:1 >/dev/null 2>&1
as "$ur" $S gc --all >gc.out 2>gc.err
[ $? = 0 ] && [ -z "$(ls "$T/store-$ur/dirs/layer" 2>/dev/null)" ] && ok t5040/gc || fail t5040/gc "$(head -c 300 gc.err) left: $(ls "$T/store-$ur/dirs/layer" 2>/dev/null)"
