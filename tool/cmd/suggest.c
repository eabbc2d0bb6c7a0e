/* suggest: edit distance for "did you mean" */
#include "suggest.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"


const char *suggest_word(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i], true);
		/* a prefix of a known word is a likely typo too */
		if (strlen(word) >= 2 && !strncmp(cands[i], word, strlen(word)))
			d = d < 1 ? d : 1;
		if (d < bd) {
			bd = d;
			best = cands[i];
		}
	}
	return best && bd <= 2 && bd < strlen(word) ? best : NULL;
}

const char *suggest_option(const char *arg, const struct option *opts)
{
	while (*arg == '-')
		arg++;
	size_t alen = strcspn(arg, "=");
	char *word = xstrndup(arg, alen);
	const char *cands[64];
	size_t n = 0;
	for (size_t i = 0; opts[i].name && n < 64; i++)
		cands[n++] = opts[i].name;
	const char *r = suggest_word(word, cands, n);
	free(word);
	return r;
}

_Noreturn void suggest_bad_option(const char *cmd, const char *shortopts, const struct option *opts, int argc,
				  char **argv)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "";
	if (optopt && strncmp(arg, "--", 2)) {
		/* getopt reports a short option by its letter */
		const char *p = strchr(shortopts, optopt);
		if (p && p[1] == ':')
			fatal("%s: flag needs an argument: -%c", cmd, optopt);
		fatal("%s: unknown shorthand flag: '%c' in %s (see strata %s --help)", cmd, optopt, arg, cmd);
	}
	size_t alen = strcspn(arg, "=");
	for (size_t i = 0; opts[i].name; i++)
		if (alen == strlen(opts[i].name) + 2 && !strncmp(arg + 2, opts[i].name, alen - 2)) {
			if (opts[i].has_arg == required_argument)
				fatal("%s: flag needs an argument: %s", cmd, arg);
			fatal("%s: flag takes no argument: %s", cmd, arg);
		}
	const char *s = suggest_option(arg, opts);
	if (s)
		fatal("%s: unknown flag: %.*s (did you mean --%s?)", cmd, (int)alen, arg, s);
	fatal("%s: unknown flag: %.*s (see strata %s --help)", cmd, (int)alen, arg, cmd);
}
