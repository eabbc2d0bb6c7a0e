#ifndef STRATA_REGEX_H
#define STRATA_REGEX_H
/* The regexps .dockerignore's reference runs: the subset of Go's RE2 syntax
   that its pattern translation produces (literals, '.', classes with POSIX
   and Perl groups, '^' '$' '\b' '\B', groups, '|', '*' '+' '?' and counted
   repetition), compiled into a small program run by a Pike-style VM without
   captures: O(len(text) * len(program)), no backtracking. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum regex_status { REGEX_OK, REGEX_SYNTAX, REGEX_UNSUPPORTED };

/* a compiled program; the fields are the engine's own */
struct regex {
	struct inst *inst;
	size_t n, cap;
	struct class *cls;
	size_t ncls, clscap;
	int32_t *ranges;  /* lo, hi pairs */
	size_t nranges, rcap;
	struct buf pre, suf;  /* bytes every match must start / end with */
};


/* the VM's scratch: five arrays of at least regex_size() entries (mark, stack, list, seeds,
   next), mark zeroed and gen 0 before first use; one VM serves many programs and texts */
struct regex_vm {
	uint32_t *mark, gen;
	size_t nmark;
	uint32_t *stack, *list, *seeds, *next;
};

/* compile the n bytes of re (valid UTF-8) into out; REGEX_OK, REGEX_SYNTAX, or REGEX_UNSUPPORTED
   (\p, \P); out needs regex_free either way */
int regex_compile(const char *re, size_t n, struct regex *out);
void regex_free(struct regex *r);
/* the number of instructions: the size the VM's arrays need */
size_t regex_size(const struct regex *r);
/* does r match all of s[0, n), or with multi also s[0, k) for any '/' at k? */
bool regex_match(const struct regex *r, const char *s, size_t n, bool multi, struct regex_vm *vm);

#endif
