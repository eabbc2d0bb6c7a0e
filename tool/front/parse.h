#ifndef STRATA_PARSE_H
#define STRATA_PARSE_H
/* The Dockerfile parser: logical lines -> instruction nodes, with the
   reference parser's argument rules per instruction and its AST dump. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "scan.h"

struct arena;
struct error;

enum instr {
	I_UNKNOWN, I_ADD, I_ARG, I_CMD, I_COPY, I_ENTRYPOINT, I_ENV, I_EXPOSE, I_FROM,
	I_HEALTHCHECK, I_LABEL, I_MAINTAINER, I_ONBUILD, I_RUN, I_SHELL, I_STOPSIGNAL,
	I_USER, I_VOLUME, I_WORKDIR,
};

struct heredoc {
	const char *name;     /* the terminator after unquoting */
	const char *content;  /* raw body lines with their line ends, tabs not yet chomped */
	unsigned fd;          /* digits before <<, 0 when none */
	bool expand;          /* no part of the name was quoted */
	bool chomp;           /* <<- */
};

struct node {
	const char *keyword;  /* as written: "FROM", "run", "BOGUS" */
	enum instr instr;
	const char **flags;   /* "--x=y" as written, quotes removed */
	size_t *flagoff;      /* offset of each flag in the logical line */
	size_t nflags;
	const char **args;    /* the arguments as the reference parser makes them */
	size_t *argoff;       /* offset of each argument in the logical line (JSON: the '[') */
	size_t *arglen;       /* byte length of each argument (a JSON string may hold NUL) */
	size_t nargs;
	bool json;            /* args came from a JSON array */
	const char *rest;     /* the text after the flags, trimmed */
	size_t restoff;
	struct node *sub;     /* ONBUILD: the nested instruction */
	struct heredoc *heredocs;
	size_t nheredocs;
	struct logline line;  /* the logical line and where its bytes came from */
};

struct dockerfile {
	const char *path;
	struct node *nodes;
	size_t n;
	int escape;
	const char *syntax, *check;  /* directive values or NULL */
	int start_line, end_line;
	size_t warnings;             /* empty continuation lines seen */
};

/* the most bytes a Dockerfile or a .dockerignore may have: both are read whole, and must be
   regular files (a fifo or /dev/zero, even through a symlink, is an error, not a hang) */
enum { DOCKERFILE_MAX = 16 << 20 };

/* parse data (len bytes) as a Dockerfile; dies with "PATH:LINE:COL: ..." on a parse error */
struct dockerfile *parse_dockerfile(struct arena *a, const char *path, const char *data, size_t len);
/* write the reference parser's AST dump (one "(...)" line per instruction) */
void parse_dump(FILE *f, const struct dockerfile *df);
/* the instruction of a keyword, lower-cased as Go's strings.ToLower; I_UNKNOWN if none */
enum instr instr_lookup(const char *keyword);
/* the upper-case name of an instruction */
const char *instr_name(enum instr i);
/* the source position of byte off of n's logical line */
void node_pos(const struct node *n, size_t off, int *line, int *col);
/* the heredoc marker rule for one word (^(\d*)<<(-?)\s*([^<]*)$, the name one shell word):
   1 with h filled (no content), 0 when word is no marker, -1 with err when malformed */
int heredoc_marker(struct arena *a, const char *word, struct heredoc *h, struct error *err);
/* the heredoc markers of an instruction line, in order: their count with *out, or -1 with err */
ssize_t heredoc_markers(struct arena *a, const char *line, struct heredoc **out, struct error *err);

#endif
