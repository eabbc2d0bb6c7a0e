#ifndef STRATA_ERROR_H
#define STRATA_ERROR_H
/* error objects of the store, layer, executor and export code: they return
   -1 with a struct error filled in, and only main() prints it and exits */

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
/* prefix e's message with the formatted context and ": "; return -1 */
int err_wrap(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
