#ifndef STRATA_BUILDFLAGS_H
#define STRATA_BUILDFLAGS_H
/* The flags that decide what image a build makes, shared by strata build and strata gen (whose
   graph must build exactly what build would): their getopt entries, usage lines and handling. */
#include <getopt.h>

#include "build.h"
#include "platform.h"
#include "util.h"

enum {
	BUILDFLAG_BUILD_ARG = 0x1000,
	BUILDFLAG_TARGET,
	BUILDFLAG_PLATFORM,
	BUILDFLAG_LABEL,
	BUILDFLAG_KEEP_MODES,
	BUILDFLAG_DROP_VOLATILE,
	BUILDFLAG_NETWORK,
	BUILDFLAG_SECRET,
	BUILDFLAG_COMPRESSION,
	BUILDFLAG_COMPRESSION_LEVEL,
	BUILDFLAG_ALLOW_FOREIGN,
};

/* getopt_long entries for the flags above (splice into a struct option array) */
#define BUILDFLAG_OPTIONS                                                           \
	{"build-arg", required_argument, NULL, BUILDFLAG_BUILD_ARG},                  \
	{"target", required_argument, NULL, BUILDFLAG_TARGET},                        \
	{"platform", required_argument, NULL, BUILDFLAG_PLATFORM},                    \
	{"label", required_argument, NULL, BUILDFLAG_LABEL},                          \
	{"keep-modes", no_argument, NULL, BUILDFLAG_KEEP_MODES},                      \
	{"drop-volatile", no_argument, NULL, BUILDFLAG_DROP_VOLATILE},                \
	{"network", required_argument, NULL, BUILDFLAG_NETWORK},                      \
	{"secret", required_argument, NULL, BUILDFLAG_SECRET},                        \
	{"compression", required_argument, NULL, BUILDFLAG_COMPRESSION},              \
	{"compression-level", required_argument, NULL, BUILDFLAG_COMPRESSION_LEVEL},  \
	{"allow-foreign-deflate", no_argument, NULL, BUILDFLAG_ALLOW_FOREIGN}

/* their usage lines */
#define BUILDFLAG_USAGE                                                                              \
	"      --build-arg K[=V]    set a build arg (repeatable; K alone takes $K)\n"                    \
	"      --target STAGE       build this stage and what it needs\n"                                \
	"      --platform OS/ARCH   the target platform (default: the host's)\n"                         \
	"      --label K=V          set a label on the image (repeatable)\n"                             \
	"      --keep-modes         keep the context's file modes as they are (docker's way) instead of\n" \
	"                           normalising them to 0644/0755 as git does\n"                         \
	"      --drop-volatile      leave out of RUN layers what records when a command ran (apt/dpkg\n" \
	"                           logs and caches, ldconfig's aux-cache, *-old backups) and set the\n" \
	"                           source times in .pyc files to the epoch\n"                           \
	"      --network MODE       RUN's network: default (outbound through slirp4netns),\n"            \
	"                           none or host\n"                                                      \
	"      --secret id=ID,src=FILE|env=VAR\n"                                                        \
	"                           a secret for RUN --mount=type=secret (never stored)\n"               \
	"      --compression gzip|zstd|none\n"                                                           \
	"                           how layers are compressed (default gzip)\n"                          \
	"      --compression-level N\n"                                                                  \
	"                           gzip 1-9 (default 6), zstd 1-19 (default 3)\n"                       \
	"      --allow-foreign-deflate\n"                                                                \
	"                           go on when this machine's deflate fails the self-test (its blob\n"   \
	"                           digests will differ from other machines')\n"

struct buildflags {
	struct arena *a;
	struct strv labels;
	char platform[PLATFORM_MAX];
};

/* start collecting into o (which must have its build_args initialised in a) */
void buildflags_init(struct buildflags *f, struct arena *a);
/* take option c with value arg into o when it is one of the flags above: 1; 0 when it is not;
   dies with a one-line message on a bad value */
int buildflags_take(struct buildflags *f, struct build_opts *o, int c, const char *arg);
/* after the last option: the labels into o, the compression level checked (dies when out of range) */
void buildflags_done(struct buildflags *f, struct build_opts *o);

#endif
