#ifndef STRATA_CHECK_H
#define STRATA_CHECK_H
/* a minimal harness for C tests: each CHECK prints "ok NAME" or "FAIL NAME: why";
   tests/run counts those lines */
#include <stdio.h>
#include <string.h>

static int check_failed;

#define CHECK(name, cond, ...)                                        \
	do {                                                          \
		if (cond) {                                           \
			printf("ok %s\n", name);                      \
		} else {                                              \
			printf("FAIL %s: ", name);                    \
			printf(__VA_ARGS__);                          \
			printf("\n");                                 \
			check_failed = 1;                             \
		}                                                     \
	} while (0)

#define CHECK_STR(name, got, want)                                                     \
	do {                                                                           \
		const char *g_ = (got), *w_ = (want);                                  \
		CHECK(name, g_ && w_ && strcmp(g_, w_) == 0, "got [%s] want [%s]",     \
		      g_ ? g_ : "(null)", w_ ? w_ : "(null)");                         \
	} while (0)

#define SKIP(name, ...)                                                       \
	do {                                                                  \
		printf("skip %s: ", name);                                    \
		printf(__VA_ARGS__);                                          \
		printf("\n");                                                 \
	} while (0)

#endif
