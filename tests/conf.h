#ifndef STRATA_CONF_H
#define STRATA_CONF_H
/* what the conformance runners share: reading the data files and splitting their rows */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"

/* split s in place at every sep, keeping empty fields; the count, or max + 1 when there are more */
static inline size_t conf_split(char *s, int sep, char **f, size_t max)
{
	size_t n = 0;
	for (;;) {
		if (n < max)
			f[n] = s;
		n++;
		char *p = strchr(s, sep);
		if (!p)
			break;
		*p = 0;
		s = p + 1;
	}
	return n > max ? max + 1 : n;
}

/* the file dir/rel (NUL-terminated, its length in *len when len is set), or NULL after a FAIL line */
static inline char *conf_read(const char *dir, const char *rel, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, rel);
	size_t n = 0;
	char *s = read_file(path, &n);
	if (!s)
		printf("FAIL read %s: %s\n", path, strerror(errno)), check_failed = 1;
	free(path);
	if (len)
		*len = n;
	return s;
}

/* the next line of *p (NUL-terminated in place), or NULL at the end */
static inline char *conf_next_line(char **p)
{
	if (!**p)
		return NULL;
	char *s = *p, *nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

#endif
