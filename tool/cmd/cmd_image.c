/* strata images | inspect | history | tag | rmi | gc: the store's images, as docker shows them */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "digest.h"
#include "error.h"
#include "image.h"
#include "ref.h"
#include "gc.h"
#include "statcache.h"
#include "store.h"
#include "userns.h"
#include "util.h"

enum { KEEP_SECONDS = 7 * 24 * 3600 };

/* the uncompressed size of a layer blob: gzip's trailer (ISIZE, the size mod 2^32, lifted past
   the compressed size as `gzip -l` cannot), or the blob's size when it is no gzip */
static long long layer_size(struct store *s, const char *digest, long long csize)
{
	char *p = store_blob_path(s, digest);
	int fd = p ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	free(p);
	if (fd < 0)
		return csize;
	unsigned char h[2], t[4];
	long long u = csize;
	if (pread(fd, h, 2, 0) == 2 && h[0] == 0x1f && h[1] == 0x8b && csize >= 18 && pread(fd, t, 4, csize - 4) == 4) {
		u = (long long)t[0] | (long long)t[1] << 8 | (long long)t[2] << 16 | (long long)t[3] << 24;
		while (u + 1024 < csize - csize / 100)
			u += 1LL << 32;
	}
	close(fd);
	return u;
}

/* the size of an image as podman shows it: the config and the layers uncompressed */
static long long image_size(struct store *s, struct image *im)
{
	char *p = store_blob_path(s, im->config_digest);
	struct stat st;
	long long n = p && stat(p, &st) == 0 ? st.st_size : 0;
	free(p);
	for (size_t i = 0; i < image_nlayers(im); i++) {
		json_t *l = json_array_get(im->layers, i);
		n += layer_size(s, image_layer_digest(im, i), json_integer_value(json_object_get(l, "size")));
	}
	return n;
}

struct row {
	char *name; /* normalised NAME:TAG */
	char md[DIGEST_SIZE];
};

/* every tag with its manifest digest */
static int list_rows(struct store *s, struct row **rows, size_t *n, struct error *err)
{
	struct strv tags;
	strv_init(&tags, NULL);
	*rows = NULL;
	*n = 0;
	if (store_tag_list(s, &tags, err) < 0) {
		strv_free(&tags);
		return -1;
	}
	*rows = xcalloc(tags.n + 1, sizeof **rows);
	for (size_t i = 0; i < tags.n; i++) {
		struct error e;
		if (store_tag_get(s, tags.v[i], (*rows)[*n].md, &e) != 1)
			continue; /* removed meanwhile */
		(*rows)[(*n)++].name = xstrdup(tags.v[i]);
	}
	strv_free(&tags);
	return 0;
}

static void rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
}

static const char *cfg_created(struct image *im)
{
	return json_string_value(json_object_get(im->config, "created"));
}

int cmd_images(int argc, char **argv)
{
	static const char usage[] = "usage: strata images [-q] [--no-trunc] [--format table|json]\n"
				    "  one line per name: REPOSITORY TAG IMAGE ID CREATED SIZE (as docker images;\n"
				    "  SIZE is the config and the layers uncompressed, as podman counts)\n"
				    "  -q, --quiet        the image IDs only\n"
				    "      --no-trunc     whole IDs\n"
				    "      --format json  one JSON object per line (docker's fields)\n";
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"no-trunc", no_argument, NULL, 'n'},
					     {"format", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	struct store *s = NULL;
	static const struct cmd_spec spec = {usage, "q", opts, 0, 0, true};
	int c, ret, quiet = 0, notrunc = 0, json = 0;
	while ((c = cmd_start(&spec, argc, argv, &s, &ret)) != 0) {
		if (c == 'q')
			quiet = 1;
		else if (c == 'n')
			notrunc = 1;
		else if (c == 'f' && !strcmp(optarg, "json"))
			json = 1;
		else if (c == 'f' && strcmp(optarg, "table"))
			fatal("images: --format %s: want table or json", optarg);
	}
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct row *rows;
	size_t n;
	if (list_rows(s, &rows, &n, &err) < 0)
		return cmd_fail(s, &err);
	char (*cell)[5][REF_MAX] = xcalloc(n + 1, sizeof *cell);
	static const char *const head[5] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
	int rc = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct image im;
		if (image_load(s, rows[i].md, &im, &err) < 0) {
			fprintf(stderr, "%s: %s: %s\n", PROG, rows[i].name, err.msg);
			rc = 1;
			continue;
		}
		char (*row)[REF_MAX] = cell[m++];
		ref_split(rows[i].name, row[0], row[1]);
		snprintf(row[2], REF_MAX, "%.*s", notrunc ? DIGEST_LEN : 12, im.config_digest + (notrunc ? 0 : 7));
		cmd_human_since(cfg_created(&im), row[3], REF_MAX);
		human_size(image_size(s, &im), row[4], REF_MAX);
		if (quiet) {
			puts(row[2]);
		} else if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository", row[0], "Tag", row[1],
					      "ID", row[2], "Digest", rows[i].md, "CreatedAt",
					      cfg_created(&im) ? cfg_created(&im) : "", "CreatedSince", row[3], "Size",
					      row[4]);
			char *t = json_dumps(o, JSON_COMPACT);
			puts(t);
			free(t);
			json_decref(o);
		}
		image_free(&im);
	}
	if (!quiet && !json) {
		/* docker's tabwriter: columns 3 apart, at least 10 wide */
		int w[5];
		for (int k = 0; k < 5; k++) {
			w[k] = (int)strlen(head[k]);
			for (size_t i = 0; i < m; i++)
				if ((int)strlen(cell[i][k]) > w[k])
					w[k] = (int)strlen(cell[i][k]);
			w[k] = w[k] + 3 < 10 ? 10 : w[k] + 3;
		}
		for (size_t i = 0; i <= m; i++) {
			for (int k = 0; k < 4; k++)
				printf("%-*s", w[k], i ? cell[i - 1][k] : head[k]);
			printf("%s\n", i ? cell[i - 1][4] : head[4]);
		}
	}
	free(cell);
	rows_free(rows, n);
	store_close(s);
	return rc;
}

/* ---- inspect ---- */

/* docker's image inspect object */
static json_t *inspect_doc(struct store *s, const struct ref_image *ri, struct image *im, struct row *rows,
			   size_t n)
{
	json_t *tags = json_array(), *digests = json_array();
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].md, ri->manifest))
			continue;
		json_array_append_new(tags, json_string(rows[i].name));
		char repo[REF_MAX], tag[REF_MAX], rd[2 * REF_MAX];
		ref_split(rows[i].name, repo, tag);
		snprintf(rd, sizeof rd, "%s@%s", repo, ri->manifest);
		bool dup = false;
		size_t j;
		json_t *v;
		json_array_foreach(digests, j, v) dup |= !strcmp(json_string_value(v), rd);
		if (!dup)
			json_array_append_new(digests, json_string(rd));
	}
	json_t *c = im->config;
	json_t *o = json_object();
	json_object_set_new(o, "Id", json_string(im->config_digest));
	json_object_set_new(o, "RepoTags", tags);
	json_object_set_new(o, "RepoDigests", digests);
	json_object_set_new(o, "Parent", json_string(""));
	json_object_set_new(o, "Comment", json_string(""));
	json_object_set_new(o, "Created", json_string(cfg_created(im) ? cfg_created(im) : ""));
	json_object_set_new(o, "Author", json_string(json_string_value(json_object_get(c, "author")) ?: ""));
	json_t *cc = json_object_get(c, "config");
	json_object_set_new(o, "Config", cc ? json_deep_copy(cc) : json_object());
	json_object_set_new(o, "Architecture", json_string(json_string_value(json_object_get(c, "architecture")) ?: ""));
	const char *variant = json_string_value(json_object_get(c, "variant"));
	if (variant)
		json_object_set_new(o, "Variant", json_string(variant));
	json_object_set_new(o, "Os", json_string(json_string_value(json_object_get(c, "os")) ?: ""));
	json_object_set_new(o, "Size", json_integer(image_size(s, im)));
	json_t *layers = json_array();
	for (size_t i = 0; i < image_nlayers(im); i++)
		json_array_append_new(layers, json_string(image_diff_id(im, i)));
	json_object_set_new(o, "RootFS", json_pack("{s:s, s:o}", "Type", "layers", "Layers", layers));
	json_object_set_new(o, "Digest", json_string(ri->manifest));
	return o;
}

/* Go's text/template printing of a value: strings bare, lists [a b], maps map[k:v] */
static void tmpl_print(struct buf *b, json_t *v)
{
	size_t i;
	const char *k;
	json_t *x;
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_puts(b, json_string_value(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		buf_printf(b, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	case JSON_NULL:
		buf_puts(b, "<no value>");
		break;
	case JSON_ARRAY:
		buf_putc(b, '[');
		json_array_foreach(v, i, x) {
			if (i)
				buf_putc(b, ' ');
			tmpl_print(b, x);
		}
		buf_putc(b, ']');
		break;
	case JSON_OBJECT: {
		/* Go prints a map's keys sorted */
		const char **keys = xcalloc(json_object_size(v) + 1, sizeof *keys);
		size_t n = 0;
		json_object_foreach(v, k, x) keys[n++] = k;
		for (size_t a = 1; a < n; a++)
			for (size_t z = a; z > 0 && strcmp(keys[z - 1], keys[z]) > 0; z--) {
				const char *t = keys[z];
				keys[z] = keys[z - 1];
				keys[z - 1] = t;
			}
		buf_puts(b, "map[");
		for (size_t j = 0; j < n; j++) {
			if (j)
				buf_putc(b, ' ');
			buf_printf(b, "%s:", keys[j]);
			tmpl_print(b, json_object_get(v, keys[j]));
		}
		buf_putc(b, ']');
		free(keys);
		break;
	}
	}
}

/* expand a docker --format template: text with {{.A.B}} and {{json .A.B}}; 0 or -1 with err */
static int tmpl_expand(const char *t, json_t *doc, struct buf *out, struct error *err)
{
	for (;;) {
		const char *open = strstr(t, "{{");
		if (!open) {
			buf_puts(out, t);
			return 0;
		}
		buf_putn(out, t, (size_t)(open - t));
		const char *close = strstr(open, "}}");
		if (!close)
			return err_set(err, "--format: unclosed action");
		char *act = xstrndup(open + 2, (size_t)(close - open - 2));
		char *p = act;
		while (*p == ' ')
			p++;
		size_t len = strlen(p);
		while (len && p[len - 1] == ' ')
			p[--len] = 0;
		bool json = !strncmp(p, "json ", 5);
		if (json)
			for (p += 5; *p == ' '; p++)
				;
		if (p[0] != '.') {
			err_set(err, "--format: {{%s}}: want {{.Field}}, {{.Field.Sub}} or {{json .Field}}", act);
			free(act);
			return -1;
		}
		json_t *v = doc;
		for (char *f = p + 1, *next; *f && v; f = next) {
			next = strchr(f, '.');
			if (next)
				*next++ = 0;
			else
				next = f + strlen(f);
			v = json_object_get(v, f);
		}
		/* an absent field is Go's nil: "<no value>", or null in json */
		if (json) {
			char *j = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
			buf_puts(out, j ? j : "null");
			free(j);
		} else if (v) {
			tmpl_print(out, v);
		} else {
			buf_puts(out, "<no value>");
		}
		free(act);
		t = close + 2;
	}
}

int cmd_inspect(int argc, char **argv)
{
	static const char usage[] =
		"usage: strata inspect [-f FORMAT | --config | --manifest] NAME|ID...\n"
		"  prints the images as a JSON array with docker's fields (Id, RepoTags, RepoDigests,\n"
		"  Created, Config, Architecture, Os, Size, RootFS)\n"
		"  -f, --format T   one line per image from the template T: {{.Id}}, {{.Config.Env}},\n"
		"                   {{json .Config}}\n"
		"      --config     the image config as stored (OCI), indented\n"
		"      --manifest   the manifest as stored, indented\n";
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"format", required_argument, NULL, 'f'},
					     {"config", no_argument, NULL, 'c'},
					     {"manifest", no_argument, NULL, 'm'},
					     {NULL, 0, NULL, 0}};
	struct store *s = NULL;
	static const struct cmd_spec spec = {usage, "f:", opts, 1, CMD_MANY, true};
	int c, ret, raw = 0;
	const char *format = NULL;
	while ((c = cmd_start(&spec, argc, argv, &s, &ret)) != 0) {
		if (c == 'f')
			format = optarg;
		else
			raw = c;
	}
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct row *rows = NULL;
	size_t n = 0;
	if (list_rows(s, &rows, &n, &err) < 0)
		return cmd_fail(s, &err);
	int rc = 0;
	json_t *all = json_array();
	struct buf out;
	buf_init(&out, NULL);
	for (int i = optind; i < argc; i++) {
		struct ref_image ri;
		struct image im;
		if (ref_resolve(s, argv[i], &ri, &err) < 0 || image_load(s, ri.manifest, &im, &err) < 0) {
			fprintf(stderr, "%s: %s\n", PROG, err.msg);
			rc = 1;
			continue;
		}
		if (raw) {
			char *text = NULL;
			size_t len;
			json_t *doc = NULL;
			if (store_blob_read(s, raw == 'm' ? ri.manifest : im.config_digest, &text, &len, &err) == 0)
				doc = json_loadb(text, len, 0, NULL);
			free(text);
			char *t = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
			if (t)
				buf_printf(&out, "%s\n", t);
			else
				rc = 1;
			free(t);
			json_decref(doc);
			image_free(&im);
			continue;
		}
		json_t *doc = inspect_doc(s, &ri, &im, rows, n);
		image_free(&im);
		if (format) {
			if (tmpl_expand(format, doc, &out, &err) < 0) {
				json_decref(doc);
				json_decref(all);
				buf_free(&out);
				rows_free(rows, n);
				return cmd_fail(s, &err);
			}
			buf_putc(&out, '\n');
			json_decref(doc);
		} else {
			json_array_append_new(all, doc);
		}
	}
	if (!raw && !format) {
		char *t = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		buf_printf(&out, "%s\n", t);
		free(t);
	}
	if (out.s)
		fputs(out.s, stdout);
	buf_free(&out);
	json_decref(all);
	rows_free(rows, n);
	store_close(s);
	return fflush(stdout) == 0 ? rc : 1;
}

/* ---- history ---- */

int cmd_history(int argc, char **argv)
{
	static const char usage[] = "usage: strata history [--no-trunc] [-q] NAME|ID\n"
				    "  the steps that made the image, newest first: IMAGE CREATED CREATED BY SIZE COMMENT\n";
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"no-trunc", no_argument, NULL, 'n'},
					     {"quiet", no_argument, NULL, 'q'},
					     {NULL, 0, NULL, 0}};
	struct store *s = NULL;
	static const struct cmd_spec spec = {usage, "q", opts, 1, 1, true};
	int c, ret, notrunc = 0, quiet = 0;
	while ((c = cmd_start(&spec, argc, argv, &s, &ret)) != 0) {
		if (c == 'n')
			notrunc = 1;
		else
			quiet = 1;
	}
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct ref_image ri;
	struct image im;
	if (ref_resolve(s, argv[optind], &ri, &err) < 0 ||
	    image_load(s, ri.manifest, &im, &err) < 0)
		return cmd_fail(s, &err);
	json_t *h = json_object_get(im.config, "history");
	size_t nh = json_array_size(h), nl = image_nlayers(&im);
	/* the layer of each history entry that made one, counted from the first */
	long long *size = xcalloc(nh + 1, sizeof *size);
	for (size_t i = 0, l = 0; i < nh; i++) {
		if (json_is_true(json_object_get(json_array_get(h, i), "empty_layer")))
			continue;
		if (l < nl)
			size[i] = layer_size(s, image_layer_digest(&im, l),
					     json_integer_value(json_object_get(json_array_get(im.layers, l), "size")));
		l++;
	}
	if (!quiet)
		printf("%-15s%-15s%-48s%-10s%s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
	for (size_t k = nh; k-- > 0;) {
		json_t *e = json_array_get(h, k);
		char id[DIGEST_SIZE], since[64], hs[32], by[4096];
		snprintf(id, sizeof id, "%s", k == nh - 1 ? im.config_digest + (notrunc ? 0 : 7) : "<missing>");
		if (!notrunc)
			id[k == nh - 1 ? 12 : 9] = 0;
		if (quiet) {
			puts(id);
			continue;
		}
		cmd_human_since(json_string_value(json_object_get(e, "created")), since, sizeof since);
		human_size(size[k], hs, sizeof hs);
		const char *cb = json_string_value(json_object_get(e, "created_by"));
		snprintf(by, sizeof by, "%s", cb ? cb : "");
		for (char *p = by; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		if (!notrunc && strlen(by) > 45)
			strcpy(by + 44, "\xe2\x80\xa6"); /* docker's ellipsis */
		const char *comment = json_string_value(json_object_get(e, "comment"));
		printf("%-15s%-15s%-48s%-10s%s\n", id, since, by, hs, comment ? comment : "");
	}
	free(size);
	image_free(&im);
	store_close(s);
	return 0;
}

/* ---- tag, rmi, gc ---- */

int cmd_tag(int argc, char **argv)
{
	static const char usage[] = "usage: strata tag SOURCE NEW\n"
				    "  gives the image SOURCE (a name or an ID) the name NEW[:TAG]\n";
	static const struct cmd_spec spec = {usage, "", NULL, 2, 2, false};
	int ret;
	cmd_start(&spec, argc, argv, NULL, &ret);
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct store *s = NULL;
	char name[REF_MAX];
	struct ref_image ri;
	if (ref_normalize(argv[optind + 1], name, &err) < 0) {
		err_wrap(&err, "tag %s", argv[optind + 1]);
		return cmd_fail(s, &err);
	}
	if (strchr(name, '@')) {
		err_set(&err, "tag %s: a name with a digest cannot be set; want NAME[:TAG]", argv[optind + 1]);
		return cmd_fail(s, &err);
	}
	if (cmd_open_store(&s, false, &err) < 0 || ref_resolve(s, argv[optind], &ri, &err) < 0 ||
	    store_tag_set(s, name, ri.manifest, &err) < 0)
		return cmd_fail(s, &err);
	store_close(s);
	return 0;
}

/* untag one name; 0, or -1 with err */
static int untag(struct store *s, const char *name, struct error *err)
{
	int d = store_tag_del(s, name, err);
	if (d == 0)
		return err_set(err, "no such image: %s", name);
	if (d > 0)
		printf("Untagged: %s\n", name);
	return d < 0 ? -1 : 0;
}

int cmd_rmi(int argc, char **argv)
{
	static const char usage[] = "usage: strata rmi [-f] NAME|ID...\n"
				    "  removes the names; an ID removes the one name it has (with -f: all of them)\n"
				    "  the blobs go at the next strata gc, which says how much it freed\n"
				    "  -f, --force   remove every name of an ID; a missing image is no error\n";
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	struct store *s = NULL;
	static const struct cmd_spec spec = {usage, "f", opts, 1, CMD_MANY, true};
	int c, ret, force = 0;
	while ((c = cmd_start(&spec, argc, argv, &s, &ret)) != 0) {
		force = 1;
	}
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct row *rows = NULL;
	size_t n = 0;
	if (list_rows(s, &rows, &n, &err) < 0)
		return cmd_fail(s, &err);
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		struct ref_image ri;
		if (ref_resolve(s, argv[i], &ri, &err) < 0) {
			if (!force || strncmp(err.msg, "no such image", 13)) {
				fprintf(stderr, "%s: %s\n", PROG, err.msg);
				rc = 1;
			}
			continue;
		}
		if (ri.name[0] && !strchr(ri.name, '@')) {
			if (untag(s, ri.name, &err) < 0) {
				fprintf(stderr, "%s: %s\n", PROG, err.msg);
				rc = 1;
			}
			continue;
		}
		/* by ID or digest: the names of that image */
		size_t named = 0;
		for (size_t k = 0; k < n; k++)
			named += !strcmp(rows[k].md, ri.manifest);
		if (named > 1 && !force) {
			fprintf(stderr,
				"%s: conflict: unable to delete %.12s (must be forced) - image is referenced in %zu names\n",
				PROG, ri.id + 7, named);
			rc = 1;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if (!strcmp(rows[k].md, ri.manifest) && untag(s, rows[k].name, &err) < 0 &&
			    strncmp(err.msg, "no such image", 13)) {
				fprintf(stderr, "%s: %s\n", PROG, err.msg);
				rc = 1;
			}
		if (named == 0)
			printf("Untagged: none had %s (its blobs go at the next gc)\n", ri.id);
	}
	rows_free(rows, n);
	store_close(s);
	return rc;
}

int cmd_gc(int argc, char **argv)
{
	static const char usage[] = "usage: strata gc [--all]\n"
				    "  removes blobs, results and directories that no name needs and no step result\n"
				    "  of the last 7 days refers to, temporary files that dead builds left and the\n"
				    "  stat caches of build contexts that are gone;\n"
				    "  says how much it freed\n"
				    "  -a, --all   drop every step result too (the next build starts cold), so only\n"
				    "              what a name needs stays\n";
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
	static const struct cmd_spec spec = {usage, "a", opts, 0, 0, false};
	int c, ret, all = 0;
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		all = 1;
	}
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct store *s = NULL;
	long long freed;
	char hs[32];
	/* a user's store holds files of its subordinate ids, which only its user namespace may remove;
	   without one, gc removes what the user may */
	struct error uerr;
	(void)userns_enter(&uerr);
	if (store_open(&s, &err) < 0 || gc_run(s, all ? -1 : KEEP_SECONDS, &freed, &err) < 0)
		return cmd_fail(s, &err);
	freed += statcache_gc(store_root(s));
	human_size(freed, hs, sizeof hs);
	printf("freed %s (%lld bytes)\n", hs, freed);
	store_close(s);
	return 0;
}
