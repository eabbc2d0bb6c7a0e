#!/bin/sh
# checks: 17
# t5000-run: RUN on a busybox base: shell and exec forms, heredocs, the
# environment (Env, build args, SOURCE_DATE_EPOCH, HOME), USER with groups,
# WORKDIR, SHELL, the fixed host name; the layer holds what the command
# changed (whiteouts, opaque directories, hard links) and none of the mount
# points or files the sandbox provides.
. "$(dirname "$0")/lib.sh"
run_needs t5000 python3 tar
mkdir -p root/bin root/etc root/home/app root/old/sub
cp "$bb" root/bin/busybox
for a in sh echo cat id hostname ls rm mkdir ln touch env printf chmod mv true false sleep; do ln -s busybox root/bin/$a; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >root/etc/passwd
printf 'root:x:0:\napp:x:1000:\nwheel:x:10:app\nstaff:x:50:root,app\n' >root/etc/group
echo old >root/old/sub/f
chown 1000:1000 root/home/app
$S import rootfs:"$T/root" base:1 >/dev/null || { fail t5000/setup "import of the base failed"; exit 0; }

# layer N of image NAME (0 = base) as a sorted `tar tv` listing: "MODE UID/GID PATH [-> TARGET]"
layer() {
	rm -rf "$T/oci" && $S export "$1" "oci:$T/oci" >/dev/null &&
	python3 - "$T/oci" "$2" <<'PY'
import json, sys, tarfile
d, n = sys.argv[1], int(sys.argv[2])
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
if n >= len(m["layers"]) or -n > len(m["layers"]):
    print("(no layer)")
    sys.exit(0)
t = tarfile.open(d + "/blobs/sha256/" + m["layers"][n]["digest"][7:])
for i in t.getmembers():
    extra = " -> " + i.linkname if i.issym() or i.islnk() else ""
    print("%s %o %d/%d %s%s" % (i.type.decode(), i.mode, i.uid, i.gid, i.name, extra))
PY
}

mkdir ctx
cat >ctx/Dockerfile <<'DF'
FROM base:1
ARG A=from-arg
ENV E=from-env
RUN echo "$A $E $SOURCE_DATE_EPOCH $HOME $(hostname)" >/out
RUN ["/bin/sh", "-c", "id >/id"]
USER app
RUN id >/home/app/id
USER app:staff
RUN id >/home/app/id2
USER root
WORKDIR /w
RUN pwd >here
SHELL ["/bin/sh", "-e", "-c"]
RUN <<EOT
echo from heredoc >/hd
EOT
RUN <<EOT
#!/bin/sh
echo "shebang $0" >/sb
EOT
RUN cat >/cat <<EOT
via cat
EOT
RUN rm -r /old/sub && mkdir /old/sub && echo new >/old/sub/g && rm /bin/true && ln /hd /hd2 && ln -s hd /hs && mkfifo /ff
DF
if $S build -q --network=none --build-arg A=given -t run:1 ctx >out.log 2>&1; then ok t5000/build; else fail t5000/build "$(head -c 400 out.log)"; fi
rm -rf fs && mkdir fs && $S export run:1 "oci:$T/img" >/dev/null
# the whole image unpacked, layers applied in order with whiteouts (umoci would do; tar by hand here)
python3 - "$T/img" "$T/fs" <<'PY'
import json, os, shutil, sys, tarfile
d, out = sys.argv[1], sys.argv[2]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
for l in m["layers"]:
    t = tarfile.open(d + "/blobs/sha256/" + l["digest"][7:])
    for i in t.getmembers():
        base = os.path.basename(i.name); parent = os.path.dirname(i.name)
        if base == ".wh..wh..opq":
            p = os.path.join(out, parent)
            for e in os.listdir(p):
                q = os.path.join(p, e)
                shutil.rmtree(q) if os.path.isdir(q) and not os.path.islink(q) else os.remove(q)
        elif base.startswith(".wh."):
            q = os.path.join(out, parent, base[4:])
            shutil.rmtree(q) if os.path.isdir(q) and not os.path.islink(q) else os.remove(q)
        else:
            t.extract(i, out, set_attrs=False)
PY
want() { # NAME FILE CONTENT
	got=$(cat "fs/$2" 2>/dev/null)
	if [ "$got" = "$3" ]; then ok "t5000/$1"; else fail "t5000/$1" "$2 is [$got], want [$3]"; fi
}
want env out "given from-env 0 /root buildkitsandbox"
want exec-form id "uid=0(root) gid=0(root) groups=0(root),50(staff)"
# the primary group is a supplementary one too (CVE-2022-2989, CVE-2023-25173); the kernel sorts them
want user home/app/id "uid=1000(app) gid=1000(app) groups=10(wheel),50(staff),1000(app)"
want user-group home/app/id2 "uid=1000(app) gid=50(staff) groups=50(staff)"
want workdir w/here "/w"
want heredoc hd "from heredoc"
want heredoc-shebang sb "shebang /dev/pipes/EOT"
want heredoc-cat cat "via cat"
# the first RUN's layer: /out alone, no /etc/hosts, /proc, /dev, /sys stubs
l=$(layer run:1 1 | tr '\n' ' ')
if [ "$l" = "0 644 0/0 out " ]; then ok t5000/layer-only-changes; else fail t5000/layer-only-changes "$l"; fi
l=$(layer run:1 -1)
case $l in *".wh.true"*) ok t5000/whiteout ;; *) fail t5000/whiteout "$l" ;; esac
case $l in *"old/sub/.wh..wh..opq"*) ok t5000/opaque ;; *) fail t5000/opaque "$l" ;; esac
case $l in *"1 644 0/0 hd2 -> hd"*|*"1 644 0/0 hd -> hd2"*) ok t5000/hardlink ;; *) fail t5000/hardlink "$l" ;; esac
case $l in *"2 777 0/0 hs -> hd"*) ok t5000/symlink ;; *) fail t5000/symlink "$l" ;; esac
case $l in *"6 644 0/0 ff"*) ok t5000/fifo ;; *) fail t5000/fifo "$l" ;; esac
# a RUN that changes nothing adds no layer; rebuilt, every step is cached
printf 'FROM base:1\nRUN true\n' >ctx/Dockerfile.nop
n=$($S build -q --network=none -f ctx/Dockerfile.nop -t nop:1 ctx >/dev/null && $S export nop:1 "oci:$T/nop" >/dev/null &&
	python3 -c "import json,sys; d=sys.argv[1]; i=json.load(open(d+'/index.json')); m=json.load(open(d+'/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(len(m['layers']))" "$T/nop")
if [ "$n" = 1 ]; then ok t5000/no-change-no-layer; else fail t5000/no-change-no-layer "$n layers"; fi
if $S build --network=none --build-arg A=given -t run:1 ctx 2>&1 | grep -q "RUN.*(cached)" &&
	! $S build --network=none --build-arg A=given ctx 2>&1 | grep -v cached | grep -q '^\[.*RUN'; then
	ok t5000/cached
else
	fail t5000/cached "a rebuild ran a RUN again"
fi
