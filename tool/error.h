#ifndef STRATA_ERROR_H
#define STRATA_ERROR_H
/* The error rule, one per layer:
   - the front end (scan, parse, expand, plan, ignore) reports a bad Dockerfile as
     "FILE:LINE:COL: what" through fatal_at (util.h), which exits 1, or jumps to fatal_hook in
     fuzzers and tests; functions it shares with the back end (ignore_read, ignore_new,
     heredoc_marker, port_parse) fill a struct error instead;
   - everything below the front end returns -1 (or NULL) and fills a struct error: no fatal, no
     errno-only result, no char **err; a caller adds context with err_wrap; a Dockerfile error
     found there (a base image missing) is placed with err_at, in fatal_at's words;
   - only tool/cmd/ prints an error ("strata: what") and exits 1, and frees what it allocated
     on every path first.
   Running out of memory is the one exception: the x* allocators of util.h (and array_grow and
   the buf and strv functions built on them) end the process; a library's failure, even its
   allocation's, is an error like any other (digest.c keeps libcrypto's until sha256_final).
   tests/t4310 checks that no fatal, exit or char **err comes back below the front end. */

struct error {
	int errnum;      /* errno of the cause, 0 if none */
	char msg[1024];  /* one line, lower case, no "strata: " prefix */
};

/* messages are one line: what strconv.Quote would escape is escaped (a name should be qname()'d, this
   is the net); when a message is too long its context is cut, never its cause */
/* fill e with the formatted message; return -1 */
int err_set(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fill e with the formatted message, ": ", strerror(errno); keep errno in e; return -1 */
int err_sys(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fill e with "FILE:LINE:COL: " (file qname'd) and the formatted message, the place giving way to
   the message when both do not fit: what a bad Dockerfile's error says wherever it is found;
   return -1 */
int err_at(struct error *e, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* prefix e's message with the formatted context and ": "; return -1 */
int err_wrap(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
