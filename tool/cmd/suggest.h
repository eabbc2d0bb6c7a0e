#ifndef STRATA_SUGGEST_H
#define STRATA_SUGGEST_H
/* "did you mean": the closest of a few known words to a mistyped one */
#include <stddef.h>

struct option;

/* the candidate closest to word by edit distance, when close enough to be a likely typo; else NULL */
const char *suggest_word(const char *word, const char *const *cands, size_t n);
/* the long option of opts closest to arg ("--tagg" -> "tag"), or NULL */
const char *suggest_option(const char *arg, const struct option *opts);
/* die with "strata: CMD: unknown flag: ARG (did you mean --X?)" or "... flag needs an argument: ARG",
   after getopt returned '?' or ':' for argv[optind - 1] */
_Noreturn void suggest_bad_option(const char *cmd, const char *shortopts, const struct option *opts, int argc,
				  char **argv);

#endif
