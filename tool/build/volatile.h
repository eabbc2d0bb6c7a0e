#ifndef STRATA_VOLATILE_H
#define STRATA_VOLATILE_H
/* `strata build --drop-volatile`: what a RUN writes that records when or
   where it ran rather than what it made (apt and dpkg logs and caches,
   ldconfig's aux-cache, *-old backups, man-db's index), dropped from its
   layer; and the source times that Python writes into __pycache__ files,
   set to the epoch that the layer gives the sources. */
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct error;
struct layer_entry;

/* the dropped paths as fnmatch patterns (FNM_PATHNAME | FNM_PERIOD), NULL-terminated */
extern const char *const volatile_list[];

/* true when path (layer form: relative, no leading '/') is on the list */
bool volatile_match(const char *path);

/* drop the listed entries of e[0..*n) in place (directories and whiteouts stay), and in each
   timestamp-based .pyc whose source is a file of the same layer with the time and size the .pyc
   records, set that time to epoch (the source's time in the layer) through a copy in a;
   0 or -1 with err (a .pyc that cannot be read) */
int volatile_apply(struct layer_entry *e, size_t *n, long long epoch, struct arena *a, struct error *err);

#endif
