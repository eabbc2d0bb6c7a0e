#ifndef STRATA_OUTPUT_H
#define STRATA_OUTPUT_H
/* Where an exported image goes, and writing there without destroying
   anything: `-` is standard output; a fifo, a character or block device (or
   a symlink to one) is opened and streamed into, never renamed over; a
   regular file (or a symlink's regular target) is replaced atomically by a
   temporary file beside it; a directory where a file is wanted is an error.
   Output specs are strata's (TRANSPORT:PATH[:REST]) or docker's
   (`type=oci|docker|tar|local,dest=PATH[,name=NAME]`, a bare PATH for
   type=local, `-` for type=tar). */
#include <stdbool.h>

struct error;

enum output_kind { OUT_OCI, OUT_OCI_ARCHIVE, OUT_DOCKER_ARCHIVE, OUT_ROOTFS_TAR, OUT_ROOTFS_DIR };

struct output_spec {
	enum output_kind kind;
	char *path; /* "-" for standard output */
	char *rest; /* oci: the tag; archives: the name inside; NULL when absent */
};

/* parse spec (either form) into o (malloc'd strings); 0 or -1 with err */
int output_parse(const char *spec, struct output_spec *o, struct error *err);
void output_free(struct output_spec *o);
/* check that o can be written as it says (before anything runs): a directory for a directory
   output, a file, stream or missing path in an existing directory for the rest; 0 or -1 */
int output_check(const struct output_spec *o, struct error *err);
/* the transport name of a kind ("oci-archive") */
const char *output_kind_name(enum output_kind k);

/* a file output being written */
struct outfile {
	char *path; /* where it lands (a symlink's target) */
	char *tmp;  /* the temporary file beside it, NULL when streaming */
	int fd;
};
/* open path ("-": standard output) for writing, as the rules above say; 0 or -1 with err */
int outfile_open(struct outfile *f, const char *path, struct error *err);
/* a temporary file beside path (mode 0644) that outfile_commit renames over path itself: whatever
   is there, a symlink or a fifo too, is replaced, never followed; 0 or -1 with err */
int outfile_replace(struct outfile *f, const char *path, struct error *err);
/* finish: the temporary file into place by atomic_commit (or just close a stream); 0 or -1 */
int outfile_commit(struct outfile *f, struct error *err);
/* give up: remove the temporary file; a stream is left as it is */
void outfile_abort(struct outfile *f);

#endif
