#ifndef STRATA_RUNMOUNT_H
#define STRATA_RUNMOUNT_H
/* RUN --mount=type=bind|cache|tmpfs|secret,KEY=VALUE,... as BuildKit reads
   it (type defaults to bind; keys lower-cased; a bare boolean key is true),
   and the build's secrets (strata build --secret id=ID,src=FILE|env=VAR). */
#include <stdbool.h>

struct arena;
struct error;

enum runmount_type { RUNMOUNT_BIND, RUNMOUNT_CACHE, RUNMOUNT_TMPFS, RUNMOUNT_SECRET };
enum runmount_sharing { SHARING_SHARED, SHARING_PRIVATE, SHARING_LOCKED };

struct runmount {
	enum runmount_type type;
	const char *target;        /* as written (relative: below the working directory); secret: default /run/secrets/ID */
	const char *source;        /* bind: below the context or from's root (default "/") */
	const char *from;          /* bind: a stage or image */
	const char *id;            /* cache: default the target; secret: default the target's base name */
	const char *env;           /* secret: also (or only, without target) as this environment variable */
	bool ro, rw, required;
	enum runmount_sharing sharing;
	unsigned mode, uid, gid;   /* cache: the directory's when first made (0755, 0, 0); secret: the file's (0400, 0, 0) */
	long long size;            /* tmpfs: bytes, 0 for the default */
};

/* parse one --mount value; -1 with err ("RUN --mount ...: ...") on an unknown type or key, a bad value
   or a missing one */
int runmount_parse(struct arena *a, const char *spec, struct runmount *m, struct error *err);

/* a secret of the build */
struct run_secret {
	const char *id;
	const char *src;     /* a file, or NULL */
	const char *env;     /* an environment variable of strata, or NULL */
};

/* parse --secret id=ID[,type=file|env][,src=FILE|source=FILE|env=VAR]; the source must be readable now
   (a file) or set (a variable); -1 with err otherwise */
int run_secret_parse(struct arena *a, const char *spec, struct run_secret *s, struct error *err);

#endif
