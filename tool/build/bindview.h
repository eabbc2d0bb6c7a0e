#ifndef STRATA_BINDVIEW_H
#define STRATA_BINDVIEW_H
/* What RUN --mount=type=bind shows of the build context: the files the step
   key hashed (.dockerignore applied) and nothing else. The context directory
   stays the overlay's lower; a layer of whiteouts above it hides what the
   ignore rules keep out, so nothing is copied. */
#include <stddef.h>

struct arena;
struct copy_src;
struct error;

/* make in dir (an empty directory) a whiteout (char 0:0) for every entry below the directory host
   that the listing s (copy_collect of host, list_only) does not hold, each under directories that
   carry their host counterpart's owner, mode and times, dir itself taking host's; the number of
   whiteouts into *n (0: the listing is the whole directory and a plain bind mount shows it) */
int bindview_whiteouts(struct arena *a, const struct copy_src *s, const char *host, const char *dir, size_t *n,
		       struct error *err);

#endif
