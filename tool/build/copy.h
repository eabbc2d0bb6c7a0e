#ifndef STRATA_COPY_H
#define STRATA_COPY_H
/* COPY and ADD: collecting the sources (from the build context or another
   image's filesystem), hashing them for the step key, and mapping them onto
   the destination as layer entries, with docker's rules for wildcards,
   directories, trailing slashes, --parents, --exclude, --chown, --chmod and
   ADD's archive extraction. */
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct error;
struct ignore;
struct key;
struct layer_entry;
struct copy_src;
struct statcache;

struct copy_opts {
	const char *root;          /* host directory the sources are relative to */
	bool context;              /* root is the build context: modes normalised, escapes refused */
	bool keep_modes;           /* the context's mode bits are kept, not normalised (--keep-modes) */
	bool parents;              /* --parents: a "/./" in a pattern ends the part not kept, "**" is any depth */
	const char *what;          /* for messages: "the build context", "stage build" */
	const struct ignore *ignore;      /* .dockerignore (context only), or NULL */
	const char *const *excludes;      /* --exclude patterns */
	size_t nexcludes;
	struct statcache *cache;   /* content hashes of unchanged files come from it, or NULL */
	bool list_only;            /* names and stats only: no file is opened or hashed (not for copy_entries) */
};

/* collect the files the n source patterns name; 0 or -1 with err */
int copy_collect(struct arena *a, const struct copy_opts *o, const char *const *patterns, size_t n,
		 struct copy_src **out, struct error *err);
/* 0 when no source file changed since copy_collect (its hash is then the content written), else
   -1 with err naming it */
int copy_unchanged(const struct copy_src *s, struct error *err);
/* call fn with every host path the collection read: each file and directory of the sources and
   each directory a wildcard was matched in (what a build graph must watch for changes) */
void copy_inputs(const struct copy_src *s, void (*fn)(void *ctx, const char *host), void *ctx);
/* release what s holds outside its arena; NULL is fine */
void copy_free(struct copy_src *s);
/* an empty source list (for heredoc-only COPY) */
struct copy_src *copy_new(struct arena *a);
/* add a file of the given content named name (a heredoc) */
void copy_add_data(struct copy_src *s, const char *name, const char *data, size_t len);
/* feed everything that decides the layer's content into k */
void copy_hash(const struct copy_src *s, struct key *k);

struct copy_dest {
	const char *dest;          /* absolute destination; a trailing '/' means a directory */
	const char *rootfs;        /* the parent's filesystem (existing dirs, symlinks), NULL with --link */
	bool chown;
	unsigned uid, gid;
	const char *chmod;         /* octal or symbolic, or NULL */
	bool parents;              /* --parents */
	bool add;                  /* ADD: extract local archives */
	const char *tmpdir;        /* where ADD may extract archives */
	const char *instr;         /* "COPY" or "ADD", for messages */
};

/* the layer entries of copying s to d; 0 or -1 with err */
int copy_entries(struct arena *a, struct copy_src *s, const struct copy_dest *d, struct layer_entry **out,
		 size_t *n, struct error *err);
/* resolve rel below root, following symlinks as a chroot would (never leaving root); the result is
   relative, without leading '/'; a missing tail is kept as written */
char *copy_resolve(struct arena *a, const char *root, const char *rel);
/* a --chmod value applied to mode: octal, or symbolic ("u+x,go-w", "a=rX"); -1 when invalid */
long copy_chmod(const char *spec, unsigned mode, bool dir);

#endif
