#include "scan.h"

#include <string.h>

#include "utf8.h"
#include "util.h"

enum { NDIRECTIVES = 3 };
static const char *const directive_names[NDIRECTIVES] = {"syntax", "escape", "check"};

struct scanner {
	struct arena *a;
	const char *path;
	const char *p, *end;    /* what is left to read */
	int line;               /* physical lines read so far */
	size_t bom;             /* bytes of a byte order mark before the first line */
	int escape;
	bool directives_done;
	const char *directive[NDIRECTIVES];
	struct buf text;
	struct seg *segs;
	size_t nsegs, capsegs;
};

struct scanner *scan_new(struct arena *a, const char *path, const char *data, size_t len)
{
	struct scanner *s = arena_alloc(a, sizeof *s);
	memset(s, 0, sizeof *s);
	s->a = a;
	s->path = path;
	s->p = data;
	s->end = data + len;
	s->escape = '\\';
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		s->p += 3;
		s->bom = 3;
	}
	return s;
}

int scan_escape(const struct scanner *s)
{
	return s->escape;
}

int scan_line(const struct scanner *s)
{
	return s->line;
}

const char *scan_directive(const struct scanner *s, const char *name)
{
	for (int i = 0; i < NDIRECTIVES; i++)
		if (!strcmp(directive_names[i], name))
			return s->directive[i];
	return NULL;
}

size_t uspace(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	if (n == 0)
		return 0;
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return 1;
	if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
		return 2;
	if (n >= 3) {
		if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80)
			return 3;
		if (s[0] == 0xE2 && s[1] == 0x80 &&
		    ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
			return 3;
		if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F)
			return 3;
		if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
			return 3;
	}
	return 0;
}

/* one physical line: [*line, *line + *len) without its trailing CR/LF run; 0 at EOF */
static int next_physical(struct scanner *s, const char **line, size_t *len, size_t *rawlen)
{
	if (s->p >= s->end)
		return 0;
	const char *nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
	const char *stop = nl ? nl + 1 : s->end;
	/* the reference reads lines with bufio.Scanner, whose buffer holds 64 KiB with the newline */
	if ((size_t)((nl ? nl : s->end) - s->p) + (s->line == 0 ? s->bom : 0) > SCAN_MAX_LINE)
		fatal_at(s->path, s->line + 1, 1, "dockerfile line greater than max allowed size of %d",
			 SCAN_MAX_LINE);
	*line = s->p;
	*rawlen = (size_t)(stop - s->p);
	size_t n = *rawlen;
	while (n > 0 && (s->p[n - 1] == '\n' || s->p[n - 1] == '\r'))
		n--;
	*len = n;
	s->p = stop;
	s->line++;
	return 1;
}

static size_t lead_space(const char *s, size_t n)
{
	size_t i = 0, k;
	while (i < n && (k = uspace(s + i, n - i)) > 0)
		i += k;
	return i;
}

static bool is_comment(const char *s, size_t n)
{
	size_t i = lead_space(s, n);
	return i < n && s[i] == '#';
}

/* RE2's \s: [\t\n\f\r ] */
static bool re_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ on a line while directives are allowed */
static void directive(struct scanner *s, const char *l, size_t n)
{
	if (s->directives_done)
		return;
	size_t i = 0;
	if (n == 0 || l[0] != '#')
		goto done;
	i = 1;
	while (i < n && re_space(l[i]))
		i++;
	size_t ks = i;
	if (i >= n || !is_alpha(l[i]))
		goto done;
	while (i < n && is_alnum(l[i]))
		i++;
	size_t ke = i;
	while (i < n && re_space(l[i]))
		i++;
	if (i >= n || l[i] != '=')
		goto done;
	i++;
	size_t vs = i;
	while (vs < n && re_space(l[vs]))
		vs++;
	size_t ve = n;
	while (ve > vs && re_space(l[ve - 1]))
		ve--;
	if (ve == vs) {
		/* (.+?) must take one byte: the regexp backs off one blank */
		if (vs == i)
			goto done;
		vs--;
		ve = vs + 1;
	}
	char key[16];
	size_t kn = ke - ks;
	if (kn >= sizeof key)
		goto done;
	for (size_t j = 0; j < kn; j++)
		key[j] = (char)(l[ks + j] | 0x20);
	key[kn] = 0;
	int which = -1;
	for (int d = 0; d < NDIRECTIVES; d++)
		if (!strcmp(key, directive_names[d]))
			which = d;
	if (which < 0)
		goto done;
	if (s->directive[which])
		fatal_at(s->path, s->line, 1, "only one %s parser directive can be used", key);
	char *val = arena_strndup(s->a, l + vs, ve - vs);
	s->directive[which] = val;
	if (which == 1) {
		if (strcmp(val, "`") != 0 && strcmp(val, "\\") != 0)
			fatal_at(s->path, s->line, (int)(vs + 1),
				 "invalid escape token '%s' does not match ` or \\", qname(val));
		s->escape = val[0];
	}
	return;
done:
	s->directives_done = true;
}

/* ([^E])E[ \t]*$ or ^E[ \t]*$: the length without the continuation, or -1 when the line ends */
static long continuation(const struct scanner *s, const char *l, size_t n)
{
	size_t i = n;
	while (i > 0 && (l[i - 1] == ' ' || l[i - 1] == '\t'))
		i--;
	if (i == 0 || l[i - 1] != s->escape)
		return -1;
	if (i == 1)
		return 0;
	if (l[i - 2] == s->escape)
		return -1;
	return (long)(i - 1);
}

static void add_seg(struct scanner *s, size_t off, int line, int col)
{
	s->segs = array_grow(s->segs, &s->capsegs, s->nsegs + 1, sizeof *s->segs, s->a);
	s->segs[s->nsegs++] = (struct seg){off, line, col};
}

int scan_next(struct scanner *s, struct logline *ll)
{
	const char *l;
	size_t n, raw;
	while (next_physical(s, &l, &n, &raw)) {
		size_t lead = lead_space(l, n);
		const char *t = l + lead;
		size_t tn = n - lead;
		directive(s, t, tn);
		if (tn > 0 && t[0] == '#')
			tn = 0; /* a comment line */
		long c = continuation(s, t, tn);
		if (c < 0 && tn == 0)
			continue;
		buf_init(&s->text, s->a);
		s->segs = NULL;
		s->nsegs = s->capsegs = 0;
		ll->start_line = s->line;
		ll->col = (int)lead + 1;
		ll->empty_continuation = false;
		add_seg(s, 0, s->line, (int)lead + 1);
		buf_putn(&s->text, t, c < 0 ? tn : (size_t)c);
		while (c >= 0 && next_physical(s, &l, &n, &raw)) {
			directive(s, l, n);
			if (is_comment(l, n))
				continue;
			if (lead_space(l, n) == n) {
				ll->empty_continuation = true;
				continue;
			}
			c = continuation(s, l, n);
			add_seg(s, s->text.len, s->line, 1);
			buf_putn(&s->text, l, c < 0 ? n : (size_t)c);
		}
		ll->len = s->text.len;
		ll->text = buf_take(&s->text);
		ll->end_line = s->line;
		ll->segs = s->segs;
		ll->nsegs = s->nsegs;
		return 1;
	}
	return 0;
}

int scan_heredoc(struct scanner *s, const char *name, bool chomp, char **content, int *end_line)
{
	struct buf b;
	const char *l;
	size_t n, raw, namelen = strlen(name);
	buf_init(&b, s->a);
	while (next_physical(s, &l, &n, &raw)) {
		const char *t = l;
		size_t tn = n;
		if (chomp)
			while (tn > 0 && *t == '\t')
				t++, tn--;
		if (tn == namelen && memcmp(t, name, namelen) == 0) {
			*content = buf_take(&b);
			*end_line = s->line;
			return 1;
		}
		buf_putn(&b, l, raw);
	}
	*end_line = s->line;
	return 0;
}

void logline_pos(const struct logline *ll, size_t off, int *line, int *col)
{
	size_t i = 0;
	while (i + 1 < ll->nsegs && ll->segs[i + 1].off <= off)
		i++;
	*line = ll->segs[i].line;
	*col = ll->segs[i].col + (int)(off - ll->segs[i].off);
}
