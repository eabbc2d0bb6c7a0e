#ifndef STRATA_IGNORE_H
#define STRATA_IGNORE_H
/* .dockerignore: reading the file and matching paths exactly as the reference
   (moby/patternmatcher and its ignorefile package). */
#include <stdbool.h>
#include <stddef.h>

struct error;
struct strv;

/* the pattern list of a .dockerignore file's bytes (BOM, comments, CR, trimming,
   cleaning, leading '/' removed, '!' kept), appended to out (malloc'd strings);
   -1 with e set when a line is 64 KiB or longer, as upstream's bufio.Scanner */
int ignore_read(const char *data, size_t len, struct strv *out, struct error *e);


/* a compiled pattern list; later patterns win, '!' re-includes */
struct ignore;
/* compile n patterns; NULL with err (upstream's `illegal exclusion pattern: "!"` or `syntax error
   in pattern`) when one is invalid */
struct ignore *ignore_new(const char *const *patterns, size_t n, struct error *err);
void ignore_free(struct ignore *ig);
/* true when path (relative, '/'-separated, used as given) or any parent
   directory of it is excluded (upstream MatchesOrParentMatches) */
bool ignore_match(const struct ignore *ig, const char *path);
/* true when some '!' pattern exists (upstream Exclusions), so a walker must
   descend into an excluded directory to find re-included files */
bool ignore_has_exceptions(const struct ignore *ig);

#endif
