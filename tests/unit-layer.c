/* layer_write (the layer contract) and untar_extract (safe extraction, whiteouts) */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "digest.h"
#include "error.h"
#include "layer.h"
#include "untar.h"
#include "util.h"

static char tmp[256];

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", tmp, rel);
}

static void put_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fatal("cannot write %s", path);
	fputs(content, f);
	fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
	char *p = read_file(path, len);
	if (!p)
		fatal("cannot read %s", path);
	return p;
}

/* gunzip a whole buffer with zlib; NULL when it is not a valid gzip stream */
static char *gunzip(const char *p, size_t n, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + 15) != Z_OK)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *out = xmalloc(cap);
	z.next_in = (unsigned char *)p;
	z.avail_in = (unsigned)n;
	int r;
	do {
		if (len == cap)
			out = xrealloc(out, cap *= 2);
		z.next_out = (unsigned char *)out + len;
		z.avail_out = (unsigned)(cap - len);
		r = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
	} while (r == Z_OK);
	inflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*outlen = len;
	return out;
}

static const unsigned char capval[20] = { 1, 0, 0, 2, 0x00, 0x04, 0, 0 }; /* cap_net_bind_service, v2 */
static char longname[300];

/* the entries of the test layer, in a scrambled order */
static size_t make_entries(struct layer_entry *e, const char *srcfile)
{
	size_t n = 0;
	e[n++] = (struct layer_entry){ .path = "usr/bin/ping", .type = LAYER_REG, .mode = 04755, .data = "ping",
				       .size = 4, .cap = capval, .caplen = sizeof capval };
	e[n++] = (struct layer_entry){ .path = "usr", .type = LAYER_DIR, .mode = 0755 };
	e[n++] = (struct layer_entry){ .path = "hl/b", .type = LAYER_REG, .mode = 0644, .data = "same", .size = 4,
				       .hardlink_key = 7 };
	e[n++] = (struct layer_entry){ .path = "usr/bin", .type = LAYER_DIR, .mode = 0755 };
	e[n++] = (struct layer_entry){ .path = "hl/a", .type = LAYER_REG, .mode = 0644, .data = "same", .size = 4,
				       .hardlink_key = 7 };
	e[n++] = (struct layer_entry){ .path = "hl", .type = LAYER_DIR, .mode = 0700, .uid = 1000, .gid = 1000 };
	e[n++] = (struct layer_entry){ .path = "hl/c", .type = LAYER_REG, .mode = 0644, .data = "same", .size = 4,
				       .hardlink_key = 7 };
	e[n++] = (struct layer_entry){ .path = "src.txt", .type = LAYER_REG, .mode = 0600, .uid = 5, .gid = 6,
				       .src = srcfile, .size = 11 };
	e[n++] = (struct layer_entry){ .path = "link", .type = LAYER_SYMLINK, .mode = 0777, .link = "usr/bin/ping" };
	e[n++] = (struct layer_entry){ .path = "dev", .type = LAYER_DIR, .mode = 0755 };
	e[n++] = (struct layer_entry){ .path = "dev/null", .type = LAYER_CHAR, .mode = 0666, .devmajor = 1,
				       .devminor = 3 };
	e[n++] = (struct layer_entry){ .path = "dev/sda", .type = LAYER_BLOCK, .mode = 0660, .gid = 6, .devmajor = 8 };
	e[n++] = (struct layer_entry){ .path = "dev/fifo", .type = LAYER_FIFO, .mode = 0644 };
	e[n++] = (struct layer_entry){ .path = "big-uid", .type = LAYER_REG, .mode = 0644, .uid = 1u << 20,
				       .gid = 1u << 21, .data = "", .size = 0 };
	e[n++] = (struct layer_entry){ .path = "caf\xc3\xa9", .type = LAYER_REG, .mode = 0644, .data = "x", .size = 1 };
	e[n++] = (struct layer_entry){ .path = "bad\xff", .type = LAYER_FIFO, .mode = 0600, .hardlink_key = 9 };
	e[n++] = (struct layer_entry){ .path = "bad\xfe", .type = LAYER_FIFO, .mode = 0600, .hardlink_key = 9 };
	e[n++] = (struct layer_entry){ .path = "a-b", .type = LAYER_REG, .mode = 0755, .data = "#!/bin/sh\n", .size = 10 };
	e[n++] = (struct layer_entry){ .path = longname, .type = LAYER_REG, .mode = 0644, .data = "long", .size = 4 };
	e[n++] = (struct layer_entry){ .path = "a", .type = LAYER_DIR, .mode = 0755 };
	e[n++] = (struct layer_entry){ .path = "a/.wh.gone", .type = LAYER_REG, .mode = 0644, .data = "", .size = 0 };
	return n;
}

static int write_layer(struct layer_entry *e, size_t n, const char *out, struct layer_digests *d, struct error *err)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal("cannot create %s", out);
	int r = layer_write(e, n, 1700000000, NULL, fd, d, err);
	close(fd);
	return r;
}

static void shuffle(struct layer_entry *e, size_t n, unsigned seed)
{
	for (size_t i = n; i > 1; i--) {
		seed = seed * 1103515245 + 12345;
		size_t j = (seed >> 8) % i;
		struct layer_entry t = e[i - 1];
		e[i - 1] = e[j];
		e[j] = t;
	}
}

static int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *pa = slurp(a, &la), *pb = slurp(b, &lb);
	int same = la == lb && memcmp(pa, pb, la) == 0;
	free(pa);
	free(pb);
	return same;
}

/* octal field of a tar header */
static long long octal(const char *p, size_t n)
{
	long long v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

static void check_raw_tar(const char *tar, size_t len)
{
	int magic_ok = 1, no_times = 1, pid_free = 1, pax_count = 0, uname_empty = 1, mtime_ok = 1;
	size_t off = 0;
	char pax_for_cap = 0;
	while (off + 512 <= len) {
		const char *h = tar + off;
		if (!h[0])
			break;
		if (memcmp(h + 257, "ustar\0" "00", 8) != 0)
			magic_ok = 0;
		if (h[265] || h[297])
			uname_empty = 0;
		if (octal(h + 136, 12) != 1700000000)
			mtime_ok = 0;
		long long size = octal(h + 124, 12);
		if (h[156] == 'x') {
			pax_count++;
			if (!strstr(h, "PaxHeader/") || strstr(h, "PaxHeader."))
				pid_free = 0;
			char *body = xstrndup(h + 512, (size_t)size);
			if (strstr(body, "atime=") || strstr(body, "ctime=") || strstr(body, "creationtime"))
				no_times = 0;
			/* SCHILY.xattr is the key Go's archive/tar (docker, containerd) reads */
			if (strstr(body, "SCHILY.xattr.security.capability"))
				pax_for_cap = 1;
			if (strstr(body, "xattr.") && !strstr(body, "security.capability"))
				no_times = 0;
			free(body);
		}
		off += 512 + (size_t)((size + 511) / 512 * 512);
	}
	CHECK("tar: every header is POSIX ustar (pax restricted)", magic_ok, "a header without ustar magic");
	CHECK("tar: pax headers only where needed", pax_count == 6,
	      "%d pax headers, want 6 (cap, uid, utf-8, long, 2 non-utf-8)",
	      pax_count);
	CHECK("tar: pax header names carry no pid", pid_free, "PaxHeader.PID seen");
	CHECK("tar: no atime/ctime/creationtime or other xattrs in pax", no_times, "found");
	CHECK("tar: capability in a pax header as SCHILY.xattr", pax_for_cap, "no SCHILY.xattr.security.capability");
	CHECK("tar: uname/gname empty", uname_empty, "a header with a user or group name");
	CHECK("tar: mtime = epoch in every header", mtime_ok, "other mtime");
	/* the end: two zero blocks and nothing more (unblocked) */
	int tail_ok = len >= 1024 && len % 512 == 0 && off + 1024 == len;
	for (size_t i = off; tail_ok && i < len; i++)
		tail_ok = tar[i] == 0;
	CHECK("tar: ends with exactly two zero blocks", tail_ok, "len %zu, last header ends at %zu", len, off);
}

static void check_parsed(const char *tar, size_t len)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar, len) != ARCHIVE_OK) {
		CHECK("parse: open", 0, "%s", archive_error_string(a));
		archive_read_free(a);
		return;
	}
	struct archive_entry *ae;
	char prev[512] = "";
	int sorted = 1, times = 1, names = 1, n = 0, xattrs_ok = 1, cap_seen = 0, modes = 1;
	const char *hl_b = NULL, *hl_c = NULL;
	char hlb[64] = "", hlc[64] = "";
	int r;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char path[512];
		snprintf(path, sizeof path, "%s", archive_entry_pathname(ae));
		size_t l = strlen(path);
		if (l && path[l - 1] == '/')
			path[l - 1] = 0;
		if (n++ && strcmp(prev, path) >= 0)
			sorted = 0;
		strcpy(prev, path);
		if (archive_entry_mtime(ae) != 1700000000 || archive_entry_mtime_nsec(ae) != 0 ||
		    archive_entry_atime_is_set(ae) || archive_entry_ctime_is_set(ae) || archive_entry_birthtime_is_set(ae))
			times = 0;
		const char *un = archive_entry_uname(ae), *gn = archive_entry_gname(ae);
		if ((un && *un) || (gn && *gn))
			names = 0;
		int nx = archive_entry_xattr_reset(ae);
		if (strcmp(path, "usr/bin/ping") == 0) {
			const char *xn;
			const void *xv;
			size_t xl;
			/* libarchive reads the cap back from both LIBARCHIVE.xattr and SCHILY.xattr */
			if (nx < 1)
				xattrs_ok = 0;
			while (archive_entry_xattr_next(ae, &xn, &xv, &xl) == ARCHIVE_OK)
				if (strcmp(xn, "security.capability") || xl != sizeof capval || memcmp(xv, capval, xl))
					xattrs_ok = 0;
			cap_seen = 1;
			if (archive_entry_mode(ae) != (AE_IFREG | 04755))
				modes = 0;
		} else if (nx != 0) {
			printf("# %s: %d xattrs\n", path, nx);
			xattrs_ok = 0;
		}
		if (strcmp(path, "hl/b") == 0 && (hl_b = archive_entry_hardlink(ae)))
			snprintf(hlb, sizeof hlb, "%s", hl_b);
		if (strcmp(path, "hl/c") == 0 && (hl_c = archive_entry_hardlink(ae)))
			snprintf(hlc, sizeof hlc, "%s", hl_c);
		if (strcmp(path, "hl/a") == 0 && (archive_entry_hardlink(ae) || archive_entry_size(ae) != 4))
			hlb[0] = '!';
		if (strcmp(path, "hl") == 0 && (archive_entry_mode(ae) != (AE_IFDIR | 0700) || archive_entry_uid(ae) != 1000))
			modes = 0;
		if (strcmp(path, "src.txt") == 0 &&
		    (archive_entry_mode(ae) != (AE_IFREG | 0600) || archive_entry_uid(ae) != 5 || archive_entry_gid(ae) != 6))
			modes = 0;
		if (strcmp(path, "big-uid") == 0 && (archive_entry_uid(ae) != 1 << 20 || archive_entry_gid(ae) != 1 << 21))
			modes = 0;
		if (strcmp(path, "dev/null") == 0 && (archive_entry_filetype(ae) != AE_IFCHR ||
						      archive_entry_rdevmajor(ae) != 1 || archive_entry_rdevminor(ae) != 3))
			modes = 0;
		if (strcmp(path, "dev/sda") == 0 && (archive_entry_filetype(ae) != AE_IFBLK || archive_entry_rdevmajor(ae) != 8))
			modes = 0;
		if (strcmp(path, "dev/fifo") == 0 && archive_entry_filetype(ae) != AE_IFIFO)
			modes = 0;
		if (strcmp(path, "link") == 0 && (archive_entry_filetype(ae) != AE_IFLNK ||
						  strcmp(archive_entry_symlink(ae), "usr/bin/ping")))
			modes = 0;
		if (strcmp(path, "bad\xff") == 0 && strcmp(archive_entry_hardlink(ae) ? archive_entry_hardlink(ae) : "",
							  "bad\xfe") != 0)
			modes = 0;
		if (strcmp(path, "a-b") == 0 && archive_entry_mode(ae) != (AE_IFREG | 0755))
			modes = 0;
	}
	archive_read_free(a);
	CHECK("parse: all entries", n == 21, "%d entries", n);
	CHECK("parse: sorted bytewise", sorted, "out of order");
	CHECK("parse: mtime = epoch, 0 ns, no atime/ctime/birthtime", times, "other times");
	CHECK("parse: empty uname/gname", names, "names set");
	CHECK("parse: only security.capability, on ping", xattrs_ok && cap_seen, "xattrs wrong");
	CHECK("parse: modes, ids, devices, links as given", modes, "a field differs");
	CHECK_STR("parse: hl/b is a hard link to the first path", hlb, "hl/a");
	CHECK_STR("parse: hl/c is a hard link to the first path", hlc, "hl/a");
}

static void test_layer(void)
{
	char *src = tpath("src.txt");
	put_file(src, "hello world");
	/* a name needing a pax "path": its last component is too long for ustar's 100 */
	memset(longname, 0, sizeof longname);
	memset(longname, 'x', 155);
	memcpy(longname, "deep/", 5);

	struct layer_entry e[32];
	struct error err;
	struct layer_digests d1, d2, d3, d4;
	char *o1 = tpath("l1.tgz"), *o2 = tpath("l2.tgz"), *o3 = tpath("l3.tgz"), *o4 = tpath("l4.tgz");
	size_t n = make_entries(e, src);
	int r = write_layer(e, n, o1, &d1, &err);
	CHECK("layer: write", r == 0, "%s", err.msg);
	if (r)
		goto out;

	n = make_entries(e, src);
	shuffle(e, n, 42);
	/* another umask, TZ and locale must not show */
	mode_t old = umask(077);
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	r = write_layer(e, n, o2, &d2, &err);
	umask(old);
	CHECK("layer: shuffled input, other umask/TZ: same bytes", r == 0 && same_file(o1, o2) &&
	      strcmp(d1.digest, d2.digest) == 0 && strcmp(d1.diff_id, d2.diff_id) == 0, "differs (%s)", r ? err.msg : "");

	n = make_entries(e, src);
	shuffle(e, n, 7);
	setenv("STRATA_LAYER_THREADS", "1", 1);
	r = write_layer(e, n, o3, &d3, &err);
	unsetenv("STRATA_LAYER_THREADS");
	CHECK("layer: one thread: same bytes", r == 0 && same_file(o1, o3) && strcmp(d1.digest, d3.digest) == 0,
	      "differs");

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setlocale(LC_ALL, "C.UTF-8");
		n = make_entries(e, src);
		shuffle(e, n, 99);
		_exit(write_layer(e, n, o4, &d4, &err) == 0 ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK("layer: another process, UTF-8 locale: same bytes", WIFEXITED(st) && WEXITSTATUS(st) == 0 && same_file(o1, o4),
	      "differs");

	char fd_digest[DIGEST_SIZE];
	struct stat sb;
	stat(o1, &sb);
	CHECK("layer: digest = sha256 of the blob", digest_file(o1, fd_digest, &err) == 0 &&
	      strcmp(fd_digest, d1.digest) == 0, "%s vs %s", fd_digest, d1.digest);
	CHECK("layer: size = bytes of the blob", d1.size == sb.st_size, "%lld vs %lld", d1.size, (long long)sb.st_size);

	size_t gzlen, tarlen;
	char *gz = slurp(o1, &gzlen);
	const unsigned char *g = (const unsigned char *)gz;
	CHECK("gzip: magic, deflate", gzlen > 10 && g[0] == 0x1f && g[1] == 0x8b && g[2] == 8, "bad magic");
	CHECK("gzip: no name, no flags", g[3] == 0, "flags %d", g[3]);
	CHECK("gzip: mtime 0", !g[4] && !g[5] && !g[6] && !g[7], "mtime set");
	CHECK("gzip: OS byte 255", g[9] == 255, "os %d", g[9]);
	char *tar = gunzip(gz, gzlen, &tarlen);
	CHECK("gzip: a valid stream", tar != NULL, "inflate failed");
	if (tar) {
		char dd[DIGEST_SIZE];
		struct error de;
		if (digest_buf(tar, tarlen, dd, &de) < 0)
			snprintf(dd, sizeof dd, "%.60s", de.msg);
		CHECK_STR("layer: diff_id = sha256 of the gunzipped stream", d1.diff_id, dd);
		check_raw_tar(tar, tarlen);
		check_parsed(tar, tarlen);
		free(tar);
	}
	free(gz);

	/* the content of src is read when writing: a changed size is an error naming it */
	n = make_entries(e, src);
	put_file(src, "hello world, changed");
	r = write_layer(e, n, o2, &d2, &err);
	CHECK("layer: src changed size: error naming it", r < 0 && strstr(err.msg, "src.txt") &&
	      strstr(err.msg, "changed"), "r=%d %s", r, r ? err.msg : "");
	put_file(src, "hello world");

	struct layer_entry dup[2] = { { .path = "x", .type = LAYER_DIR, .mode = 0755 },
				      { .path = "x", .type = LAYER_DIR, .mode = 0755 } };
	r = write_layer(dup, 2, o2, &d2, &err);
	CHECK("layer: duplicate path refused", r < 0 && strstr(err.msg, "duplicate"), "r=%d", r);
	const char *bad[] = { "/abs", "a/../b", "./a", "a//b", "a/", "" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct layer_entry b = { .path = bad[i], .type = LAYER_DIR, .mode = 0755 };
		r = write_layer(&b, 1, o2, &d2, &err);
		char name[64];
		snprintf(name, sizeof name, "layer: invalid path '%s' refused", bad[i]);
		CHECK(name, r < 0, "accepted");
	}
	struct layer_entry missing = { .path = "m", .type = LAYER_REG, .mode = 0644, .src = "/nonexistent/x", .size = 1 };
	r = write_layer(&missing, 1, o2, &d2, &err);
	CHECK("layer: missing src is an error", r < 0 && strstr(err.msg, "/nonexistent/x"), "r=%d", r);

	/* a bad out fd: the compressor's write error comes back */
	int rfd = open(src, O_RDONLY | O_CLOEXEC);
	n = make_entries(e, src);
	r = layer_write(e, n, 0, NULL, rfd, &d2, &err);
	close(rfd);
	CHECK("layer: write error reported", r < 0 && strstr(err.msg, "write"), "r=%d %s", r, r ? err.msg : "");

	/* empty layer: two zero blocks */
	r = write_layer(NULL, 0, o2, &d2, &err);
	char zero[1024] = { 0 }, zd[DIGEST_SIZE];
	struct error zde;
	if (digest_buf(zero, sizeof zero, zd, &zde) < 0)
		snprintf(zd, sizeof zd, "%.60s", zde.msg);
	CHECK("layer: empty layer is 1024 zero bytes", r == 0 && strcmp(d2.diff_id, zd) == 0, "%s",
	      r ? err.msg : d2.diff_id);

	/* a big file from src through both threads: content round trips */
	char *bigsrc = tpath("big.bin");
	FILE *f = fopen(bigsrc, "w");
	unsigned x = 1;
	for (int i = 0; i < (3 << 20); i++) {
		x = x * 1664525 + 1013904223;
		fputc((int)(x >> 24) & (i & 0x1000 ? 0xff : 0x0f), f);
	}
	fclose(f);
	struct layer_entry big = { .path = "big.bin", .type = LAYER_REG, .mode = 0644, .src = bigsrc, .size = 3 << 20 };
	r = write_layer(&big, 1, o2, &d2, &err);
	gz = slurp(o2, &gzlen);
	tar = gunzip(gz, gzlen, &tarlen);
	size_t blen;
	char *bc = slurp(bigsrc, &blen);
	CHECK("layer: 3 MiB file round trips", r == 0 && tar && tarlen >= 512 + blen &&
	      memcmp(tar + 512, bc, blen) == 0, "content differs");
	free(bc);
	free(tar);
	free(gz);
	free(bigsrc);
out:
	free(src);
	free(o1);
	free(o2);
	free(o3);
	free(o4);
}

/* ---- untar ---- */

struct te {
	const char *name;
	char type;          /* f file, d dir, l symlink, h hard link, c char dev, p fifo */
	const char *data;   /* file content, or link target */
	unsigned mode;
};

/* write a tar with entries, through filter (archive_write_add_filter_* code); 0, or -1 if unsupported */
static int make_tar(const char *path, int filter, int zip, const struct te *t, size_t n)
{
	struct archive *a = archive_write_new();
	if (zip)
		archive_write_set_format_zip(a);
	else
		archive_write_set_format_pax_restricted(a);
	if (filter != ARCHIVE_FILTER_NONE && archive_write_add_filter(a, filter) != ARCHIVE_OK) {
		archive_write_free(a);
		return -1;
	}
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		archive_write_free(a);
		return -1;
	}
	struct archive_entry *ae = archive_entry_new();
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(ae);
		archive_entry_copy_pathname(ae, t[i].name);
		archive_entry_set_mtime(ae, 1000000000 + (time_t)i, 0);
		archive_entry_set_uid(ae, 1234);
		archive_entry_set_gid(ae, 4321);
		unsigned mode = t[i].mode ? t[i].mode : 0644;
		switch (t[i].type) {
		case 'f':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)strlen(t[i].data ? t[i].data : ""));
			break;
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			mode = t[i].mode ? t[i].mode : 0755;
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_copy_symlink(ae, t[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_copy_hardlink(ae, t[i].data);
			break;
		case 'c':
			archive_entry_set_filetype(ae, AE_IFCHR);
			archive_entry_set_rdevmajor(ae, 1);
			archive_entry_set_rdevminor(ae, 3);
			break;
		case 'p':
			archive_entry_set_filetype(ae, AE_IFIFO);
			break;
		}
		archive_entry_set_perm(ae, mode);
		archive_write_header(ae ? a : a, ae);
		if (t[i].type == 'f' && t[i].data)
			archive_write_data(a, t[i].data, strlen(t[i].data));
	}
	archive_entry_free(ae);
	archive_write_close(a);
	archive_write_free(a);
	return 0;
}

static int exists(const char *rel)
{
	char *p = tpath(rel);
	struct stat st;
	int r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static char *content(const char *rel)
{
	char *p = tpath(rel);
	size_t len;
	char *c = read_file(p, &len);
	free(p);
	return c;
}

/* a fresh empty directory dest under tmp (with tmp/outside next to it) */
static char *fresh(const char *name)
{
	char *p = tpath(name);
	mkdir(p, 0755);
	return p;
}

static int extract(const char *name, const struct te *t, size_t n, const char *dest, enum untar_mode m,
		   struct error *err)
{
	char *arc = tpath(name);
	make_tar(arc, ARCHIVE_FILTER_NONE, 0, t, n);
	int r = untar_extract(arc, dest, m, err);
	free(arc);
	return r;
}

static void test_untar_safety(void)
{
	struct error err;
	char *outside = fresh("outside");
	char *secret = tpath("outside/secret");
	put_file(secret, "secret");

	char *d = fresh("u1");
	struct te t1[] = { { "../evil", 'f', "x", 0 } };
	int r = extract("evil.tar", t1, 1, d, UNTAR_ADD, &err);
	CHECK("untar: .. refused", r < 0 && strstr(err.msg, "evil.tar: entry ../evil: path leaves the destination"),
	      "r=%d %s", r, r ? err.msg : "");
	CHECK("untar: .. wrote nothing outside", !exists("evil"), "tmp/evil exists");

	struct te t2[] = { { "a/../../evil2", 'f', "x", 0 } };
	r = extract("evil2.tar", t2, 1, d, UNTAR_ADD, &err);
	CHECK("untar: a/../../x refused", r < 0 && strstr(err.msg, "leaves the destination") && !exists("evil2"),
	      "r=%d", r);

	struct te t3[] = { { "/abs/file", 'f', "abs", 0 }, { "//abs2", 'f', "abs2", 0 } };
	r = extract("abs.tar", t3, 2, d, UNTAR_ADD, &err);
	char *c = content("u1/abs/file");
	CHECK("untar: absolute path lands under dest", r == 0 && c && strcmp(c, "abs") == 0 && exists("u1/abs2"),
	      "r=%d %s", r, r ? err.msg : "");
	free(c);

	/* a symlink out of dest, then a file through it */
	char *abs_outside = xasprintf("%s", outside);
	struct te t4[] = { { "up", 'l', "../outside", 0 }, { "up/pwned", 'f', "x", 0 } };
	r = extract("sym1.tar", t4, 2, d, UNTAR_ADD, &err);
	CHECK("untar: file through a relative symlink out: not outside", !exists("outside/pwned"), "written outside");
	struct te t5[] = { { "abs", 'l', abs_outside, 0 }, { "abs/pwned2", 'f', "x", 0 } };
	r = extract("sym2.tar", t5, 2, d, UNTAR_ADD, &err);
	CHECK("untar: file through an absolute symlink out: not outside", !exists("outside/pwned2"), "written outside");
	struct te t6[] = { { "dotdot", 'l', "..", 0 }, { "dotdot/inside", 'f', "x", 0 } };
	r = extract("sym3.tar", t6, 2, d, UNTAR_ADD, &err);
	CHECK("untar: symlink to .. resolves inside dest", !exists("inside") && (r < 0 || exists("u1/inside")),
	      "r=%d", r);
	/* an existing symlink as the last component is replaced, not followed */
	char *target = xasprintf("%s/secret", outside);
	struct te t7[] = { { "last", 'l', target, 0 }, { "last", 'f', "overwritten", 0 } };
	r = extract("sym4.tar", t7, 2, d, UNTAR_ADD, &err);
	c = content("outside/secret");
	CHECK("untar: file over a symlink replaces the link", r == 0 && c && strcmp(c, "secret") == 0, "r=%d %s", r,
	      c ? c : "");
	free(c);
	c = content("u1/last");
	CHECK("untar: ... and writes the file in dest", c && strcmp(c, "overwritten") == 0, "%s", c ? c : "(none)");
	free(c);

	/* hard links out */
	struct te t8[] = { { "h1", 'h', "../outside/secret", 0 } };
	r = extract("hl1.tar", t8, 1, d, UNTAR_ADD, &err);
	CHECK("untar: hard link to ../ refused", r < 0 && strstr(err.msg, "leaves the destination"), "r=%d", r);
	struct te t9[] = { { "h2", 'h', secret, 0 } };
	r = extract("hl2.tar", t9, 1, d, UNTAR_ADD, &err);
	struct stat s1, s2;
	stat(secret, &s1);
	char *h2 = tpath("u1/h2");
	int linked = stat(h2, &s2) == 0 && s1.st_ino == s2.st_ino;
	CHECK("untar: hard link to an absolute path outside is not made", r < 0 && !linked, "r=%d linked=%d", r,
	      linked);
	struct te t10[] = { { "s", 'l', outside, 0 }, { "h3", 'h', "s/secret", 0 } };
	r = extract("hl3.tar", t10, 2, d, UNTAR_ADD, &err);
	char *h3 = tpath("u1/h3");
	linked = stat(h3, &s2) == 0 && s1.st_ino == s2.st_ino;
	CHECK("untar: hard link through a symlink out is not made", !linked, "linked to the outside");
	stat(secret, &s1);
	CHECK("untar: the outside file kept one link", s1.st_nlink == 1, "nlink %lu", (unsigned long)s1.st_nlink);
	free(h2);
	free(h3);
	free(target);
	free(abs_outside);
	free(secret);
	free(outside);
	free(d);
}

static void test_untar_content(void)
{
	struct error err;
	char *d = fresh("u2");
	struct te t[] = {
		{ "./", 'd', NULL, 0700 },
		{ "dir", 'd', NULL, 0750 },
		{ "dir/file", 'f', "content", 04755 },
		{ "dir/link", 'l', "file", 0 },
		{ "dir/hard", 'h', "dir/file", 0 },
		{ "dir/fifo", 'p', NULL, 0600 },
		{ "dir/null", 'c', NULL, 0666 },
		{ "deep/er/file", 'f', "deep", 0 },
		{ ".wh.kept", 'f', "", 0 },
	};
	int r = extract("content.tar", t, sizeof t / sizeof *t, d, UNTAR_ADD, &err);
	CHECK("untar: content extracts", r == 0, "%s", err.msg);
	struct stat st;
	char *p = tpath("u2/dir/file");
	int ok = stat(p, &st) == 0 && (st.st_mode & 07777) == 04755 && st.st_uid == 1234 && st.st_gid == 4321 &&
		 st.st_mtime == 1000000002 && st.st_nlink == 2;
	CHECK("untar: file mode (setuid kept), owner, mtime, link count", ok, "mode %o uid %u mtime %lld nlink %lu",
	      st.st_mode, st.st_uid, (long long)st.st_mtime, (unsigned long)st.st_nlink);
	free(p);
	p = tpath("u2/dir");
	ok = stat(p, &st) == 0 && (st.st_mode & 07777) == 0750 && st.st_mtime == 1000000001;
	CHECK("untar: directory mode and mtime (after its children)", ok, "mode %o mtime %lld", st.st_mode,
	      (long long)st.st_mtime);
	free(p);
	p = tpath("u2/dir/link");
	char buf[64] = "";
	ok = readlink(p, buf, sizeof buf - 1) == 4 && strcmp(buf, "file") == 0 && lstat(p, &st) == 0 &&
	     st.st_uid == 1234 && st.st_mtime == 1000000003;
	CHECK("untar: symlink target, owner, mtime", ok, "%s", buf);
	free(p);
	p = tpath("u2/dir/null");
	ok = lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
	CHECK("untar: char device", ok, "not a 1:3 device");
	free(p);
	p = tpath("u2/dir/fifo");
	CHECK("untar: fifo", lstat(p, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0600, "no fifo");
	free(p);
	char *c = content("u2/deep/er/file");
	CHECK("untar: missing parents made", c && strcmp(c, "deep") == 0, "missing");
	free(c);
	CHECK("untar: ADD keeps .wh. names as files", exists("u2/.wh.kept"), "missing");
	p = tpath("u2");
	CHECK("untar: ADD leaves dest's own mode", stat(p, &st) == 0 && (st.st_mode & 0777) == 0755, "mode %o",
	      st.st_mode & 0777);
	free(p);
	free(d);
}

static void lower(const char *rel, const char *data)
{
	char *p = tpath(rel);
	if (data) {
		put_file(p, data);
	} else {
		mkdir(p, 0755);
	}
	free(p);
}

static void test_untar_whiteouts(void)
{
	struct error err;
	char *d = fresh("u3");
	lower("u3/d", NULL);
	lower("u3/d/keep", "k");
	lower("u3/d/gone", "g");
	lower("u3/d/gonedir", NULL);
	lower("u3/d/gonedir/x", "x");
	lower("u3/o", NULL);
	lower("u3/o/lower1", "l");
	lower("u3/o/lowerdir", NULL);
	lower("u3/o/lowerdir/y", "y");
	lower("u3/o/+dir", NULL);
	lower("u3/o/+dir/old", "old");
	struct te t[] = {
		{ "d/.wh.gone", 'f', "", 0 },
		{ "d/.wh.gonedir", 'f', "", 0 },
		{ "d/.wh.absent", 'f', "", 0 },
		{ "o", 'd', NULL, 0 },
		{ "o/+dir", 'd', NULL, 0 },
		{ "o/+dir/z", 'f', "z", 0 },
		{ "o/-early", 'f', "e", 0 },
		{ "o/.wh..wh..opq", 'f', "", 0 },
		{ "o/new", 'f', "n", 0 },
		{ ".wh..wh.plnk", 'd', NULL, 0 },
	};
	int r = extract("apply.tar", t, sizeof t / sizeof *t, d, UNTAR_APPLY, &err);
	CHECK("apply: extracts", r == 0, "%s", err.msg);
	CHECK("apply: .wh.NAME removes a file", !exists("u3/d/gone") && !exists("u3/d/.wh.gone"), "still there");
	CHECK("apply: .wh.NAME removes a directory tree", !exists("u3/d/gonedir"), "still there");
	CHECK("apply: siblings stay", exists("u3/d/keep"), "keep removed");
	CHECK("apply: opaque removes lower files and dirs", !exists("u3/o/lower1") && !exists("u3/o/lowerdir"),
	      "lower content left");
	CHECK("apply: opaque keeps this layer's entries before the marker", exists("u3/o/-early") && exists("u3/o/+dir/z"),
	      "removed");
	CHECK("apply: opaque empties a merged lower dir", !exists("u3/o/+dir/old"), "old left");
	CHECK("apply: entries after the marker", exists("u3/o/new") && !exists("u3/o/.wh..wh..opq"), "wrong");
	CHECK("apply: aufs metadata skipped", !exists("u3/.wh..wh.plnk"), "extracted");
	free(d);

	d = fresh("u4");
	struct te t2[] = {
		{ "d", 'd', NULL, 0 },
		{ "d/.wh.gone", 'f', "", 0 },
		{ "o", 'd', NULL, 0 },
		{ "o/.wh..wh..opq", 'f', "", 0 },
		{ "o/new", 'f', "n", 0 },
	};
	r = extract("overlay.tar", t2, sizeof t2 / sizeof *t2, d, UNTAR_OVERLAY, &err);
	if (r < 0 && (err.errnum == ENOTSUP || err.errnum == EPERM)) {
		SKIP("overlay: whiteouts", "%s", err.msg);
	} else {
		CHECK("overlay: extracts", r == 0, "%s", err.msg);
		char *p = tpath("u4/d/gone");
		struct stat st;
		CHECK("overlay: .wh.NAME is char 0:0", lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
		      "not a whiteout device");
		free(p);
		p = tpath("u4/o");
		char v[8] = "";
		ssize_t n = getxattr(p, "trusted.overlay.opaque", v, sizeof v);
		CHECK("overlay: opaque xattr y", n == 1 && v[0] == 'y', "n=%zd", n);
		free(p);
		CHECK("overlay: no marker files", !exists("u4/o/.wh..wh..opq") && !exists("u4/d/.wh.gone") &&
		      exists("u4/o/new"), "marker extracted");
	}
	free(d);

	/* an archive may not plant overlay xattrs */
	d = fresh("u5");
	char *arc = tpath("xattr.tar");
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, arc);
	struct archive_entry *ae = archive_entry_new();
	archive_entry_copy_pathname(ae, "x");
	archive_entry_set_filetype(ae, AE_IFDIR);
	archive_entry_set_perm(ae, 0755);
	archive_entry_xattr_add_entry(ae, "trusted.overlay.opaque", "y", 1);
	archive_write_header(a, ae);
	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, "ping");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0755);
	archive_entry_set_size(ae, 0);
	archive_entry_xattr_add_entry(ae, "security.capability", capval, sizeof capval);
	archive_write_header(a, ae);
	archive_entry_free(ae);
	archive_write_close(a);
	archive_write_free(a);
	r = untar_extract(arc, d, UNTAR_OVERLAY, &err);
	char *p = tpath("u5/x"), v[32];
	CHECK("untar: trusted.overlay.* from the archive not applied", r == 0 &&
	      getxattr(p, "trusted.overlay.opaque", v, sizeof v) < 0, "r=%d", r);
	free(p);
	p = tpath("u5/ping");
	ssize_t n = getxattr(p, "security.capability", v, sizeof v);
	CHECK("untar: security.capability applied", r == 0 && n == sizeof capval && memcmp(v, capval, sizeof capval) == 0,
	      "n=%zd", n);
	free(p);
	free(arc);
	free(d);
}

static void test_untar_formats(void)
{
	struct error err;
	static const struct {
		const char *name;
		int filter;
	} f[] = {
		{ "plain", ARCHIVE_FILTER_NONE }, { "gzip", ARCHIVE_FILTER_GZIP }, { "bzip2", ARCHIVE_FILTER_BZIP2 },
		{ "xz", ARCHIVE_FILTER_XZ },     { "zstd", ARCHIVE_FILTER_ZSTD },
	};
	struct te t[] = { { "hello.txt", 'f', "hi", 0 } };
	for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
		char name[64];
		char *arc = xasprintf("%s/fmt-%s.tar", tmp, f[i].name);
		snprintf(name, sizeof name, "untar: %s tar is an archive and extracts", f[i].name);
		if (make_tar(arc, f[i].filter, 0, t, 1) < 0) {
			SKIP(name, "libarchive cannot write %s", f[i].name);
			free(arc);
			continue;
		}
		char *dn = xasprintf("fmt-%s", f[i].name);
		char *d = fresh(dn);
		int r = untar_extract(arc, d, UNTAR_ADD, &err);
		char *rel = xasprintf("%s/hello.txt", dn);
		char *c = content(rel);
		CHECK(name, untar_is_archive(arc) == 1 && r == 0 && c && strcmp(c, "hi") == 0, "r=%d %s", r,
		      r ? err.msg : "");
		free(c);
		free(rel);
		free(d);
		free(dn);
		free(arc);
	}

	char *p = tpath("notar.gz");
	gzFile gzf = gzopen(p, "wb");
	gzputs(gzf, "just some text, not a tar\n");
	gzclose(gzf);
	CHECK("untar: gzip of a non-tar is no archive", untar_is_archive(p) == 0, "said yes");
	free(p);
	p = tpath("a.zip");
	make_tar(p, ARCHIVE_FILTER_NONE, 1, t, 1);
	CHECK("untar: a zip is no archive (docker copies it)", untar_is_archive(p) == 0, "said yes");
	free(p);
	p = tpath("a.tar.lz4");
	if (make_tar(p, ARCHIVE_FILTER_LZ4, 0, t, 1) == 0)
		CHECK("untar: an lz4 tar is no archive (docker copies it)", untar_is_archive(p) == 0, "said yes");
	else
		SKIP("untar: an lz4 tar is no archive", "libarchive cannot write lz4");
	free(p);
	p = tpath("text");
	put_file(p, "plain text\n");
	CHECK("untar: a text file is no archive", untar_is_archive(p) == 0, "said yes");
	free(p);
	p = tpath("empty.tar");
	make_tar(p, ARCHIVE_FILTER_NONE, 0, t, 0);
	CHECK("untar: an empty tar is no archive (as docker)", untar_is_archive(p) == 0, "said yes");
	free(p);
	CHECK("untar: a missing file is no archive", untar_is_archive("/nonexistent/x.tar") == 0, "said yes");
	char *d = fresh("u6");
	int r = untar_extract("/nonexistent/x.tar", d, UNTAR_ADD, &err);
	CHECK("untar: a missing archive is an error", r < 0 && strstr(err.msg, "/nonexistent/x.tar"), "r=%d", r);
	free(d);
}

/* layer_write's output, extracted with APPLY, gives back the tree */
static void test_roundtrip(void)
{
	struct layer_entry e[32];
	char *src = tpath("src.txt");
	struct error err;
	struct layer_digests dg;
	size_t n = make_entries(e, src);
	char *o = tpath("rt.tgz");
	int r = write_layer(e, n, o, &dg, &err);
	char *d = fresh("u7");
	if (r == 0)
		r = untar_extract(o, d, UNTAR_APPLY, &err);
	CHECK("roundtrip: layer_write then APPLY", r == 0, "%s", err.msg);
	struct stat a, b;
	char *pa = tpath("u7/hl/a"), *pb = tpath("u7/hl/c"), *pl = tpath("u7/" /* long */);
	CHECK("roundtrip: hard links share an inode", stat(pa, &a) == 0 && stat(pb, &b) == 0 && a.st_ino == b.st_ino &&
	      a.st_nlink == 3, "not linked");
	char *c = content("u7/src.txt");
	CHECK("roundtrip: src content", c && strcmp(c, "hello world") == 0, "%s", c ? c : "(none)");
	free(c);
	char *lp = xasprintf("u7/%s", longname);
	c = content(lp);
	CHECK("roundtrip: long name", c && strcmp(c, "long") == 0, "missing");
	free(c);
	free(lp);
	CHECK("roundtrip: utf-8 name", exists("u7/caf\xc3\xa9"), "missing");
	free(pa);
	free(pb);
	free(pl);
	free(d);
	free(o);
	free(src);
}

int main(void)
{
	snprintf(tmp, sizeof tmp, "%s/unit-layer.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		fatal("mkdtemp failed");
	test_layer();
	if (geteuid() == 0) {
		test_untar_safety();
		test_untar_content();
		test_untar_whiteouts();
		test_untar_formats();
		test_roundtrip();
	} else {
		SKIP("untar", "needs root (ownership, device nodes, trusted xattrs)");
	}
	char *cmd = xasprintf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmp);
	free(cmd);
	return check_failed;
}
