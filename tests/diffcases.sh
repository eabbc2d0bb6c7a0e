# tests/diffcases.sh: sourced by the tests that build the examples/diff cases
# (t4000 against buildah, t4301 pinning their digests). Needs $T (tests/lib.sh).
# gen_NN CTX makes the files of case NN that git cannot hold (symlinks, hard
# links, empty directories, archives); normalise_modes CTX sets the modes a
# checkout would have.

gen_02() {
	mkdir -p "$1/tree/empty"
	ln -s a.txt "$1/tree/link-to-a"
	ln -s ../a.txt "$1/tree/sub/up"
	ln -s /etc/passwd "$1/tree/abs"
	ln -s nowhere "$1/tree/dangling"
	ln "$1/tree/a.txt" "$1/tree/sub/hard-a"
}
gen_03() {
	mkdir -p "$1/dir3-empty"
}
gen_13() {
	s=$T/tarstage
	rm -rf "$s"
	mkdir -p "$s/dir"
	printf 'file\n' >"$s/dir/file"
	printf 'owned\n' >"$s/dir/owned"
	printf '#!/bin/sh\n' >"$s/dir/exec"
	chmod 755 "$s/dir" "$s/dir/exec"
	chmod 600 "$s/dir/file"
	chmod 644 "$s/dir/owned"
	chown 1000:1000 "$s/dir/owned"
	ln -s file "$s/dir/sym"
	ln "$s/dir/file" "$s/dir/hard"
	tar --sort=name --numeric-owner --mtime=@0 -C "$s" -cf "$1/plain.tar" dir
	gzip -n9 <"$1/plain.tar" >"$1/archive.tar.gz"
	bzip2 -9 <"$1/plain.tar" >"$1/archive.tar.bz2"
	xz -6 <"$1/plain.tar" >"$1/archive.tar.xz"
	zstd -q -3 <"$1/plain.tar" >"$1/archive.tar.zst"
	cp "$1/archive.tar.gz" "$1/gzip-without-suffix"
	cp "$1/plain.tar" "$1/dir/inner.tar"
	chmod 644 "$1"/*.tar* "$1/gzip-without-suffix" "$1/dir/inner.tar"
}

# the context as git would check it out: directories 0755, files 0644 or 0755
normalise_modes() {
	find "$1" -type d -exec chmod 755 {} +
	find "$1" -type f -perm -u+x -exec chmod 755 {} +
	find "$1" -type f ! -perm -u+x -exec chmod 644 {} +
}
