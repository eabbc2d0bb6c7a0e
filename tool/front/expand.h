#ifndef STRATA_EXPAND_H
#define STRATA_EXPAND_H
/* Word expansion exactly as the reference Dockerfile shell lexer
   (moby/buildkit frontend/dockerfile/shell/lex.go): quotes, escapes,
   $V ${V} and the ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m}
   ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r} forms. Patterns know
   * ? and \-escapes only ([ ] are literal, as in the reference). */
#include <stdbool.h>

struct arena;
struct env;
struct strv;

struct expand {
	struct arena *a;        /* results and error messages live here */
	const struct env *env;  /* variables in scope (NULL: none) */
	int escape;             /* the escape token: '\\' or '`' (0 means '\\') */
	bool raw_quotes;        /* keep quote characters in the result (heredoc bodies) */
	bool raw_escapes;       /* keep escape tokens in the result (heredoc bodies) */
	bool skip_quotes;       /* quotes are ordinary characters (heredoc bodies: only $ expands) */
	bool skip_unset;        /* leave $V of an unset V as written */
	struct strv *matched;   /* if set, names referenced and set are added (once each) */
	struct strv *unmatched; /* if set, names referenced and unset are added (once each) */
	const char *err;        /* after a failure: `failed to process "WORD": WHY`, no position */
};

/* Beyond the reference, input is refused with an error when ${..} nest more
   than 64 deep, when the expansions of one word produce over 16 MiB, or when
   a pattern times its value exceeds 2^30. Strings added to a strv with no
   arena are malloc'd (strv_free frees them); otherwise they live in its arena. */

/* expand word as one field (quote removal, no field splitting) into *out; 0, or -1 with x->err set */
int expand_word(struct expand *x, const char *word, char **out);
/* expand word with field splitting at unquoted blanks (also from unquoted expansions); 0, or -1 with x->err */
int expand_words(struct expand *x, const char *word, struct strv *out);

#endif
