#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* fmt's message into out (n bytes), escaped (escape_go_in) so that it stays one line */
static void format_msg(char *out, size_t n, const char *fmt, va_list ap)
{
	vsnprintf(out, n, fmt, ap);
	escape_go_in(out, n);
}

int err_set(struct error *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	format_msg(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->errnum = 0;
	return -1;
}

/* e->msg = pre ": " cause, pre cut (ending "...") when both do not fit: the cause is what a message
   is for */
static void join_cause(struct error *e, char *pre, const char *cause)
{
	size_t np = strlen(pre), nc = strlen(cause), room = sizeof e->msg - 1;
	if (nc > room - 5)
		nc = room - 5;
	if (np + 2 + nc > room) {
		np = room - nc - 5;
		while (np > 0 && ((unsigned char)pre[np] & 0xC0) == 0x80)
			np--;
		memcpy(pre + np, "...", 3);
		np += 3;
	}
	memcpy(e->msg, pre, np);
	memcpy(e->msg + np, ": ", 2);
	memcpy(e->msg + np + 2, cause, nc);
	e->msg[np + 2 + nc] = 0;
}

int err_sys(struct error *e, const char *fmt, ...)
{
	int saved = errno;
	char pre[sizeof e->msg];
	va_list ap;
	va_start(ap, fmt);
	format_msg(pre, sizeof pre, fmt, ap);
	va_end(ap);
	join_cause(e, pre, strerror(saved));
	e->errnum = saved;
	errno = saved;
	return -1;
}

int err_at(struct error *e, const char *file, int line, int col, const char *fmt, ...)
{
	char msg[sizeof e->msg];
	va_list ap;
	va_start(ap, fmt);
	format_msg(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int n = snprintf(e->msg, sizeof e->msg, "%s:%d:%d: ", qname(file), line, col);
	size_t room = sizeof e->msg - 1, nm = strlen(msg);
	if (n < 0 || (size_t)n + nm > room)
		n = snprintf(e->msg, sizeof e->msg, "%d:%d: ", line, col);
	if (n >= 0 && (size_t)n < room) {
		size_t k = nm < room - (size_t)n ? nm : room - (size_t)n;
		memcpy(e->msg + n, msg, k);
		e->msg[n + k] = 0;
	}
	e->errnum = 0;
	return -1;
}

int err_wrap(struct error *e, const char *fmt, ...)
{
	char old[sizeof e->msg], pre[sizeof e->msg];
	va_list ap;
	memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	format_msg(pre, sizeof pre, fmt, ap);
	va_end(ap);
	join_cause(e, pre, old);
	return -1;
}
