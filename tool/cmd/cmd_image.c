/* strata import | export | images | inspect | rmi | gc: the store's images */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "digest.h"
#include "error.h"
#include "store.h"
#include "transport.h"
#include "util.h"

enum { NAME_MAX_LEN = 1024, KEEP_SECONDS = 7 * 24 * 3600 };

/* getopt with only --help; prints usage and returns 0 or 2 when the command is done, else -1 */
static int parse_help(int argc, char **argv, const char *usage, int nargs_min, int nargs_max)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		fprintf(stderr, "%s: %s: unknown option '%s'\n", PROG, argv[0], argv[optind - 1]);
		return 2;
	}
	int n = argc - optind;
	if (n < nargs_min || n > nargs_max) {
		fputs(usage, stderr);
		return 2;
	}
	return -1;
}

static int fail(struct store *s, struct error *err)
{
	fprintf(stderr, "%s: %s\n", PROG, err->msg);
	store_close(s);
	return 1;
}

static int open_store(struct store **s, bool exclusive, struct error *err)
{
	if (store_open(s, err) < 0)
		return -1;
	return store_lock(*s, exclusive, err);
}

/* NAME[:TAG] or a manifest digest to a manifest digest; *name gets the normalized tag
   name (NULL for a digest) */
static int resolve(struct store *s, const char *arg, char *name, size_t size, char md[DIGEST_SIZE],
		   struct error *err)
{
	if (digest_valid(arg)) {
		if (!store_blob_has(s, arg))
			return err_set(err, "no such image: %s", arg);
		memcpy(md, arg, DIGEST_SIZE);
		name[0] = 0;
		return 0;
	}
	transport_normalize(arg, name, size);
	int r = store_tag_get(s, name, md, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(err, "no such image: %s", name);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	static const char usage[] = "usage: strata import SRC NAME[:TAG]\n"
				    "  SRC: oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:NAME:TAG]\n"
				    "       | rootfs:TAR | rootfs:DIR\n"
				    "  copies the image into the store as NAME:TAG (TAG defaults to latest) and prints\n"
				    "  its manifest digest\n";
	int r = parse_help(argc, argv, usage, 2, 2);
	if (r >= 0)
		return r;
	struct error err = {0};
	struct store *s = NULL;
	char name[NAME_MAX_LEN], md[DIGEST_SIZE];
	transport_normalize(argv[optind + 1], name, sizeof name);
	if (strchr(name, '@')) {
		err_set(&err, "%s: want NAME[:TAG], not a digest", name);
		return fail(s, &err);
	}
	if (open_store(&s, false, &err) < 0 || transport_import(s, argv[optind], md, &err) < 0 ||
	    store_tag_set(s, name, md, &err) < 0)
		return fail(s, &err);
	printf("%s\n", md);
	store_close(s);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const char usage[] = "usage: strata export NAME[:TAG] DEST\n"
				    "  DEST: oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:NAME:TAG]\n"
				    "  (oci: TAG defaults to the image's tag; oci-archive: to its whole name)\n";
	int r = parse_help(argc, argv, usage, 2, 2);
	if (r >= 0)
		return r;
	struct error err = {0};
	struct store *s = NULL;
	char name[NAME_MAX_LEN], md[DIGEST_SIZE];
	if (open_store(&s, false, &err) < 0 || resolve(s, argv[optind], name, sizeof name, md, &err) < 0 ||
	    transport_export(s, md, argv[optind + 1], name[0] ? name : NULL, &err) < 0)
		return fail(s, &err);
	store_close(s);
	return 0;
}

static void human(long long n, char *buf, size_t size)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lldB", n);
	else
		snprintf(buf, size, "%.3g%s", v, unit[u]);
}

/* the bytes of an image: config and layers as stored, as `docker images` counts */
static int image_size(struct store *s, const char *md, long long *size, struct error *err)
{
	char *text;
	size_t len;
	if (store_blob_read(s, md, &text, &len, err) < 0)
		return -1;
	json_error_t je;
	json_t *m = json_loadb(text, len, 0, &je);
	free(text);
	if (!m)
		return err_set(err, "manifest %s: invalid JSON: %s", md, je.text);
	*size = json_integer_value(json_object_get(json_object_get(m, "config"), "size"));
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(m, "layers"), i, l)
		*size += json_integer_value(json_object_get(l, "size"));
	json_decref(m);
	return 0;
}

int cmd_images(int argc, char **argv)
{
	static const char usage[] = "usage: strata images\n"
				    "  one line per tag: NAME:TAG, the manifest digest (12 digits), the size\n";
	int r = parse_help(argc, argv, usage, 0, 0);
	if (r >= 0)
		return r;
	struct error err = {0};
	struct store *s = NULL;
	struct strv tags;
	strv_init(&tags, NULL);
	if (open_store(&s, false, &err) < 0 || store_tag_list(s, &tags, &err) < 0) {
		strv_free(&tags);
		return fail(s, &err);
	}
	int width = 4;
	for (size_t i = 0; i < tags.n; i++)
		if ((int)strlen(tags.v[i]) > width)
			width = (int)strlen(tags.v[i]);
	int rc = 0;
	for (size_t i = 0; i < tags.n; i++) {
		char md[DIGEST_SIZE], hs[32];
		long long size = 0;
		int g = store_tag_get(s, tags.v[i], md, &err);
		if (g == 0)
			continue; /* removed meanwhile */
		if (g < 0 || image_size(s, md, &size, &err) < 0) {
			fprintf(stderr, "%s: %s\n", PROG, err.msg);
			rc = 1;
			continue;
		}
		human(size, hs, sizeof hs);
		printf("%-*s  %.12s  %s\n", width, tags.v[i], md + 7, hs);
	}
	strv_free(&tags);
	store_close(s);
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	static const char usage[] = "usage: strata inspect [--manifest] NAME[:TAG]|DIGEST\n"
				    "  prints the image config (or with --manifest the manifest) as indented JSON\n";
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"manifest", no_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
	int c, want_manifest = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c != 'm') {
			fprintf(stderr, "%s: inspect: unknown option '%s'\n", PROG, argv[optind - 1]);
			return 2;
		}
		want_manifest = 1;
	}
	if (argc - optind != 1) {
		fputs(usage, stderr);
		return 2;
	}
	struct error err = {0};
	struct store *s = NULL;
	char name[NAME_MAX_LEN], md[DIGEST_SIZE];
	char *text = NULL;
	size_t len;
	if (open_store(&s, false, &err) < 0 || resolve(s, argv[optind], name, sizeof name, md, &err) < 0 ||
	    store_blob_read(s, md, &text, &len, &err) < 0)
		return fail(s, &err);
	json_error_t je;
	json_t *doc = json_loadb(text, len, 0, &je);
	free(text);
	text = NULL;
	if (doc && !want_manifest) {
		const char *cd = json_string_value(json_object_get(json_object_get(doc, "config"), "digest"));
		char d[DIGEST_SIZE];
		if (!cd || !digest_valid(cd)) {
			json_decref(doc);
			err_set(&err, "manifest %s: no config digest", md);
			return fail(s, &err);
		}
		memcpy(d, cd, DIGEST_SIZE);
		json_decref(doc);
		doc = NULL;
		if (store_blob_read(s, d, &text, &len, &err) < 0)
			return fail(s, &err);
		doc = json_loadb(text, len, 0, &je);
		free(text);
	}
	if (!doc) {
		err_set(&err, "%s: invalid JSON: %s", argv[optind], je.text);
		return fail(s, &err);
	}
	char *out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (out)
		puts(out);
	free(out);
	store_close(s);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	static const char usage[] = "usage: strata rmi NAME[:TAG]...\n"
				    "  removes the tags; the blobs go at the next strata gc\n";
	int r = parse_help(argc, argv, usage, 1, 1 << 20);
	if (r >= 0)
		return r;
	struct error err = {0};
	struct store *s = NULL;
	if (open_store(&s, false, &err) < 0)
		return fail(s, &err);
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		char name[NAME_MAX_LEN];
		transport_normalize(argv[i], name, sizeof name);
		int d = store_tag_del(s, name, &err);
		if (d == 0)
			err_set(&err, "no such image: %s", name);
		if (d <= 0) {
			fprintf(stderr, "%s: %s\n", PROG, err.msg);
			rc = 1;
		} else {
			printf("untagged %s\n", name);
		}
	}
	store_close(s);
	return rc;
}

int cmd_gc(int argc, char **argv)
{
	static const char usage[] = "usage: strata gc\n"
				    "  removes blobs, results and directories that no tag needs and no step\n"
				    "  result of the last 7 days refers to\n";
	int r = parse_help(argc, argv, usage, 0, 0);
	if (r >= 0)
		return r;
	struct error err = {0};
	struct store *s = NULL;
	long long freed;
	char hs[32];
	if (store_open(&s, &err) < 0 || store_gc(s, KEEP_SECONDS, &freed, &err) < 0)
		return fail(s, &err);
	human(freed, hs, sizeof hs);
	printf("freed %s (%lld bytes)\n", hs, freed);
	store_close(s);
	return 0;
}
