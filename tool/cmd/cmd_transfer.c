/* strata import | export | save | load: images in and out of the store */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "compress.h"
#include "digest.h"
#include "error.h"
#include "output.h"
#include "ref.h"
#include "store.h"
#include "export.h"
#include "import.h"
#include "util.h"

int cmd_import(int argc, char **argv)
{
	static const char usage[] = "usage: strata import [--allow-foreign-deflate] SRC NAME[:TAG]\n"
				    "  SRC: oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:NAME:TAG]\n"
				    "       | rootfs:TAR | rootfs:DIR\n"
				    "  copies the image into the store as NAME:TAG (TAG defaults to latest) and prints\n"
				    "  its manifest digest; --allow-foreign-deflate goes on when this machine's deflate\n"
				    "  fails the self-test (an uncompressed layer is compressed here)\n";
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"allow-foreign-deflate", no_argument, NULL, 'F'},
					     {NULL, 0, NULL, 0}};
	static const struct cmd_spec spec = {usage, "", opts, 2, 2, false};
	int c, ret;
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		compress_allow_foreign(1);
	}
	if (ret >= 0)
		return ret;
	struct error err = {0};
	struct store *s = NULL;
	char name[REF_MAX], md[DIGEST_SIZE];
	if (ref_normalize(argv[optind + 1], name, &err) < 0)
		return cmd_fail(s, &err);
	if (strchr(name, '@')) {
		err_set(&err, "%s: want NAME[:TAG], not a digest", name);
		return cmd_fail(s, &err);
	}
	if (cmd_open_store(&s, false, &err) < 0 || transport_import(s, argv[optind], md, &err) < 0 ||
	    store_tag_set(s, name, md, &err) < 0)
		return cmd_fail(s, &err);
	printf("%s\n", md);
	store_close(s);
	return 0;
}

/* check dest before anything is read or written; with a compression asked for (how not NULL),
   dest must be an output of compressed layers */
static int check_dest(const char *dest, const struct compression *how, struct error *err)
{
	struct output_spec o;
	if (output_parse(dest, &o, err) < 0)
		return -1;
	int r = output_check(&o, err);
	if (r == 0 && how && o.kind != OUT_OCI && o.kind != OUT_OCI_ARCHIVE)
		r = err_set(err, "--compression applies to oci: and oci-archive: outputs, not to %s",
			    output_kind_name(o.kind));
	output_free(&o);
	if (r == 0 && how && compress_level(how, err) < 0)
		r = -1;
	return r;
}

/* the options export and save share: the compression of the layers written */
#define COMPRESSION_OPTS                                                      \
	{"compression", required_argument, NULL, 'C'},                        \
	{"compression-level", required_argument, NULL, 'L'},                  \
	{"allow-foreign-deflate", no_argument, NULL, 'F'}
#define COMPRESSION_USAGE                                                                            \
	"  --compression gzip|zstd|none, --compression-level N: the layers as that (gzip 1-9, default 6;\n" \
	"  zstd 1-19, default 3), recompressed where stored otherwise (a layer already in the method is\n"  \
	"  kept as stored unless a level is given); oci: and oci-archive: only\n"                          \
	"  --allow-foreign-deflate: go on when this machine's deflate fails the self-test\n"

/* an option of COMPRESSION_OPTS into how; *asked set when it changes the layers */
static void compression_opt(int c, struct compression *how, int *asked)
{
	cmd_compression_flag(c == 'C' ? "compression" : c == 'L' ? "compression-level" : "allow-foreign-deflate",
			     optarg, how);
	*asked |= c != 'F';
}

/* the store image named ref to dest, its layers recompressed first when how is not NULL */
static int export_to(const char *ref, const char *dest, const struct compression *how)
{
	struct error err = {0};
	struct store *s = NULL;
	struct ref_image ri;
	char md[DIGEST_SIZE];
	if (check_dest(dest, how, &err) < 0 || cmd_open_store(&s, false, &err) < 0 ||
	    ref_resolve(s, ref, &ri, &err) < 0)
		return cmd_fail(s, &err);
	memcpy(md, ri.manifest, DIGEST_SIZE);
	if ((how && transport_recompress(s, ri.manifest, how, md, &err) < 0) ||
	    transport_export(s, md, dest, ri.name[0] && !strchr(ri.name, '@') ? ri.name : NULL, &err) < 0)
		return cmd_fail(s, &err);
	store_close(s);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const char usage[] =
		"usage: strata export [--compression gzip|zstd|none] [--compression-level N] NAME|ID DEST\n"
		"  DEST: oci:DIR[:TAG] | oci-archive:FILE|-[:NAME] | docker-archive:FILE|-[:NAME]\n"
		"        or docker's type=oci|docker|tar|local,dest=PATH (tar: the filesystem as one tar;\n"
		"        local: the filesystem into a directory)\n"
		"  FILE - is standard output; a fifo or device is written into, a file replaced whole\n"
		COMPRESSION_USAGE;
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, COMPRESSION_OPTS, {NULL, 0, NULL, 0}};
	static const struct cmd_spec spec = {usage, "", opts, 2, 2, false};
	struct compression how = {COMPRESS_GZIP, 0};
	int c, ret, asked = 0;
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0)
		compression_opt(c, &how, &asked);
	if (ret >= 0)
		return ret;
	return export_to(argv[optind], argv[optind + 1], asked ? &how : NULL);
}

int cmd_save(int argc, char **argv)
{
	static const char usage[] =
		"usage: strata save [-o FILE] [--format docker-archive|oci-archive] NAME|ID\n"
		"  writes the image to an archive (docker save's format by default), to standard output\n"
		"  unless -o names a file\n"
		COMPRESSION_USAGE;
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"output", required_argument, NULL, 'o'},
					     {"format", required_argument, NULL, 'f'},
					     COMPRESSION_OPTS,
					     {NULL, 0, NULL, 0}};
	static const struct cmd_spec spec = {usage, "o:", opts, 1, 1, false};
	struct compression how = {COMPRESS_GZIP, 0};
	int c, ret, asked = 0;
	const char *file = "-", *format = "docker-archive";
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		if (c == 'o')
			file = optarg;
		else if (c == 'f')
			format = optarg;
		else
			compression_opt(c, &how, &asked);
	}
	if (strcmp(format, "docker-archive") && strcmp(format, "oci-archive"))
		fatal("save: --format %s: want docker-archive or oci-archive", format);
	if (ret >= 0)
		return ret;
	if (!strcmp(file, "-") && isatty(1))
		fatal("save: cowardly refusing to write to a terminal: use -o FILE or redirect");
	char *dest = xasprintf("%s:%s", format, file);
	int r = export_to(argv[optind], dest, asked ? &how : NULL);
	free(dest);
	return r;
}

/* standard input into a temporary file of the store, for the archive reader */
static int stdin_file(struct store *s, char **path, struct error *err)
{
	int fd;
	if (store_tmpfile(s, path, &fd, err) < 0)
		return -1;
	char buf[1 << 16];
	ssize_t n;
	long long total = 0;
	while ((n = read(0, buf, sizeof buf)) != 0) {
		if (n < 0 || write_all(fd, buf, (size_t)n) < 0) {
			err_sys(err, n < 0 ? "read standard input" : "write %s", *path);
			close(fd);
			store_tmp_discard(s, *path);
			free(*path);
			*path = NULL;
			return -1;
		}
		total += n;
	}
	close(fd);
	if (total == 0) {
		store_tmp_discard(s, *path);
		free(*path);
		*path = NULL;
		return err_set(err, "load: standard input is empty (want an archive: strata load -i FILE, or a pipe)");
	}
	return 0;
}

int cmd_load(int argc, char **argv)
{
	static const char usage[] = "usage: strata load [-i FILE|-]\n"
				    "  reads a docker-archive or an oci-archive (detected) from FILE or standard input;\n"
				    "  its images get the names the archive gives them\n";
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"input", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
	static const struct cmd_spec spec = {usage, "i:q", opts, 0, 0, false};
	int c, ret;
	const char *file = "-";
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		if (c == 'i')
			file = optarg;
	}
	if (ret >= 0)
		return ret;
	if (!strcmp(file, "-") && isatty(0))
		fatal("load: requested load from stdin, but stdin is empty (use -i FILE)");
	struct error err = {0};
	struct store *s = NULL;
	char *tmp = NULL;
	struct strv names, digests;
	strv_init(&names, NULL);
	strv_init(&digests, NULL);
	int rc = 0;
	if (cmd_open_store(&s, false, &err) < 0 || (!strcmp(file, "-") && stdin_file(s, &tmp, &err) < 0) ||
	    transport_load(s, tmp ? tmp : file, &names, &digests, &err) < 0) {
		rc = 1;
		fprintf(stderr, "%s: %s\n", PROG, err.msg);
	}
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		if (store_tag_set(s, names.v[i], digests.v[i], &err) < 0) {
			fprintf(stderr, "%s: %s\n", PROG, err.msg);
			rc = 1;
		} else {
			printf("Loaded image: %s\n", names.v[i]);
		}
	}
	if (rc == 0 && names.n == 0) {
		char id[DIGEST_SIZE];
		for (size_t i = 0; i < digests.n; i++) {
			if (ref_image_id(s, digests.v[i], id, &err) < 0) {
				fprintf(stderr, "%s: %s\n", PROG, err.msg);
				rc = 1;
			} else {
				/* an unnamed image is kept like a step result (found by its ID, freed by gc
				   after a week or by gc --all), keyed by its ID */
				char *res = xasprintf("{\"manifest\":\"%s\"}\n", digests.v[i]);
				if (store_result_put(s, id + 7, res, &err) < 0) {
					fprintf(stderr, "%s: %s\n", PROG, err.msg);
					rc = 1;
				} else {
					printf("Loaded image ID: %s\n", id);
				}
				free(res);
			}
		}
	}
	if (tmp) {
		store_tmp_discard(s, tmp);
		free(tmp);
	}
	strv_free(&names);
	strv_free(&digests);
	store_close(s);
	return rc;
}
