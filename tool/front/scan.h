#ifndef STRATA_SCAN_H
#define STRATA_SCAN_H
/* The Dockerfile scanner: bytes -> logical lines. Handles the BOM, parser
   directives, comments, line continuations (with comment and empty lines
   inside them) and hands out raw physical lines for heredoc bodies, exactly
   as the reference parser reads a file. */
#include <stdbool.h>
#include <stddef.h>

struct arena;

/* where byte off of a logical line came from: physical line and 1-based column */
struct seg {
	size_t off;
	int line, col;
};

struct logline {
	const char *text;   /* the logical line, continuations joined, NUL-terminated */
	size_t len;
	int start_line, end_line;
	int col;            /* column of the first byte of text on start_line */
	struct seg *segs;   /* sorted by off; segs[0].off == 0 */
	size_t nsegs;
	bool empty_continuation; /* a blank line stood inside the continuation (a warning upstream) */
};

struct scanner;

/* the longest physical line, without its newline, that the reference parser reads */
#define SCAN_MAX_LINE 65535

/* a scanner over data (kept, not copied); path is for messages */
struct scanner *scan_new(struct arena *a, const char *path, const char *data, size_t len);
/* the next logical line into *ll: 1, or 0 at end of file; dies with position on a bad directive */
int scan_next(struct scanner *s, struct logline *ll);
/* read a heredoc body up to the line equal to name (leading tabs ignored when chomp):
   1 with *content (raw lines with their line ends) and *end_line, 0 if the file ends first */
int scan_heredoc(struct scanner *s, const char *name, bool chomp, char **content, int *end_line);
/* the escape token in force: '\\' or '`' */
int scan_escape(const struct scanner *s);
/* the value of parser directive name ("syntax", "escape", "check"), or NULL */
const char *scan_directive(const struct scanner *s, const char *name);
/* the number of the last physical line read */
int scan_line(const struct scanner *s);

/* the byte length of a Unicode white-space character (Go's unicode.IsSpace) at s, or 0 */
size_t uspace(const char *s, size_t n);
/* where offset off of ll lies in the source */
void logline_pos(const struct logline *ll, size_t off, int *line, int *col);

#endif
