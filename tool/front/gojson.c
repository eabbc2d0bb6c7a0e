#include "gojson.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

/* encoding/json's scanner allows this many open arrays and objects */
enum { MAX_DEPTH = 10000 };

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* the 4 hex digits at p, or -1 */
static long hex4(const char *p, const char *e)
{
	if (e - p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_digit(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* p at the opening quote: the byte after the closing one, or NULL when the scanner refuses it */
static const char *scan_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (++p >= e)
			return NULL;
		if (*p == 'u') {
			if (hex4(p + 1, e) < 0)
				return NULL;
			p += 4;
		} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
			return NULL;
		}
	}
	return NULL;
}

/* Go's unquote of a scanned string body [p, e) into b */
static void unquote(struct buf *b, const char *p, const char *e)
{
	size_t w;
	while (p < e) {
		unsigned char c = (unsigned char)*p;
		if (c != '\\') {
			if (c < 0x80) {
				buf_putc(b, c);
				p++;
			} else {
				utf8_put(b, utf8_decode((const unsigned char *)p, (size_t)(e - p), &w));
				p += w;
			}
			continue;
		}
		char k = p[1];
		p += 2;
		switch (k) {
		case 'b': buf_putc(b, '\b'); break;
		case 'f': buf_putc(b, '\f'); break;
		case 'n': buf_putc(b, '\n'); break;
		case 'r': buf_putc(b, '\r'); break;
		case 't': buf_putc(b, '\t'); break;
		case 'u': {
			long r = hex4(p, e);
			p += 4;
			if (r >= 0xD800 && r < 0xE000) {
				long r2 = e - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2, e) : -1;
				if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
					r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
					p += 6;
				} else {
					r = RUNE_ERROR;
				}
			}
			utf8_put(b, r);
			break;
		}
		default: buf_putc(b, k); break; /* " \ / */
		}
	}
}

/* p at '-' or a digit: the byte after the number, or NULL; *inf set when ParseFloat would overflow */
static const char *scan_number(const char *p, const char *e, bool *inf)
{
	const char *s = p;
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0') {
		p++;
	} else if (p < e && *p >= '1' && *p <= '9') {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < e && *p == '.') {
		if (++p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	char *t = xstrndup(s, (size_t)(p - s));
	if (isinf(strtod(t, NULL)))
		*inf = true;
	free(t);
	return p;
}

enum gojson gojson_strings(struct arena *a, const char *s, size_t n, char ***v, size_t **len, size_t *count)
{
	const char *p = s, *e = s + n;
	if (n == 0 || *s != '[')
		return GOJSON_NO;
	char *stack = xmalloc(MAX_DEPTH + 1);
	size_t depth = 0, nv = 0, cap = 0;
	char **vals = NULL;
	size_t *lens = NULL;
	bool inf = false, other = false, ok = false;
	const char *elem = NULL; /* where the current element of the outer array starts */

value:
	p = skip_ws(p, e);
	if (p >= e)
		goto out;
	if (depth == 1)
		elem = p;
	switch (*p) {
	case '[':
	case '{':
		if (depth == MAX_DEPTH)
			goto out;
		stack[depth++] = *p++;
		p = skip_ws(p, e);
		if (p < e && *p == (stack[depth - 1] == '[' ? ']' : '}')) {
			p++;
			depth--;
			goto end;
		}
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	case '"':
		if (!(p = scan_string(p, e)))
			goto out;
		goto end;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
		size_t k = strlen(lit);
		if ((size_t)(e - p) < k || memcmp(p, lit, k) != 0)
			goto out;
		p += k;
		goto end;
	}
	default:
		if (!(p = scan_number(p, e, &inf)))
			goto out;
		goto end;
	}
key:
	p = skip_ws(p, e);
	if (p >= e || *p != '"' || !(p = scan_string(p, e)))
		goto out;
	p = skip_ws(p, e);
	if (p >= e || *p != ':')
		goto out;
	p++;
	goto value;
end:
	if (depth == 1 && elem) {
		if (*elem == '"') {
			struct buf b;
			buf_init(&b, a);
			unquote(&b, elem + 1, p - 1);
			size_t lcap = cap;
			vals = array_grow(vals, &cap, nv + 1, sizeof *vals, NULL);
			lens = array_grow(lens, &lcap, nv + 1, sizeof *lens, NULL);
			lens[nv] = b.len;
			vals[nv++] = buf_take(&b);
		} else {
			other = true;
		}
		elem = NULL;
	}
	if (depth == 0) {
		ok = skip_ws(p, e) == e;
		goto out;
	}
	p = skip_ws(p, e);
	if (p >= e)
		goto out;
	if (*p == ',') {
		p++;
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (*p != (stack[depth - 1] == '[' ? ']' : '}'))
		goto out;
	p++;
	depth--;
	goto end;
out:;
	enum gojson r = !ok || inf ? GOJSON_NO : other ? GOJSON_NOT_STRINGS : GOJSON_STRINGS;
	if (r == GOJSON_STRINGS) {
		*v = arena_alloc(a, (nv + 1) * sizeof **v);
		*len = arena_alloc(a, (nv + 1) * sizeof **len);
		if (nv) {
			memcpy(*v, vals, nv * sizeof *vals);
			memcpy(*len, lens, nv * sizeof *lens);
		}
		*count = nv;
	}
	free(vals);
	free(lens);
	free(stack);
	return r;
}
