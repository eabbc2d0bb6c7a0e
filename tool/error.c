#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct error *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->errnum = 0;
	return -1;
}

int err_sys(struct error *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof e->msg)
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	e->errnum = saved;
	errno = saved;
	return -1;
}

int err_wrap(struct error *e, const char *fmt, ...)
{
	char old[sizeof e->msg];
	va_list ap;
	memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	/* append by hand: snprintf would warn that the old text may not fit, which is the point */
	for (const char *p = ": "; n >= 0 && (size_t)n + 1 < sizeof e->msg && *p; p++)
		e->msg[n++] = *p;
	for (const char *p = old; n >= 0 && (size_t)n + 1 < sizeof e->msg && *p; p++)
		e->msg[n++] = *p;
	if (n >= 0 && (size_t)n < sizeof e->msg)
		e->msg[n] = 0;
	return -1;
}
