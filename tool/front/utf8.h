#ifndef STRATA_UTF8_H
#define STRATA_UTF8_H
/* Go's unicode/utf8, unicode and strconv rules (Unicode 15.0, as Go 1.23) */
#include <stdbool.h>
#include <stddef.h>

struct buf;

#define RUNE_ERROR 0xFFFD

/* utf8.DecodeRune: the rune at p and its width; a bad byte gives RUNE_ERROR, width 1 (0 at the end) */
long utf8_decode(const unsigned char *p, size_t n, size_t *width);
/* utf8.DecodeLastRune of p[0, n) */
long utf8_decode_last(const unsigned char *p, size_t n, size_t *width);
/* append r as UTF-8; an impossible rune is written as U+FFFD, as Go's WriteRune does */
void utf8_put(struct buf *b, long r);
/* unicode.IsLetter, IsDigit, IsSpace and strconv.IsPrint */
bool rune_letter(long r);
bool rune_digit(long r);
bool rune_space(long r);
bool rune_print(long r);
/* unicode.ToLower (simple case mapping) */
long rune_lower(long r);
/* append strings.ToLower(s[0, n)): a bad byte becomes U+FFFD unless s is all ASCII */
void lower_go(struct buf *b, const char *s, size_t n);
/* append s[0, n) quoted as Go's strconv.Quote does */
void quote_go(struct buf *b, const char *s, size_t n);
/* append s[0, n) with what strconv.Quote escapes escaped, but no quotes around it and '"' and '\\'
   as they are: text that can never start a line of its own nor drive a terminal */
void escape_go(struct buf *b, const char *s, size_t n);
/* escape_go the string s in place, cut to cap bytes with its NUL */
void escape_go_in(char *s, size_t cap);
/* every rune of s[0, n) printable (strconv.IsPrint) and none '"' or '\\' */
bool plain_go(const char *s, size_t n);

/* the longest name a message shows whole */
#define QNAME_MAX 200
/* s (from a Dockerfile, an archive, a path) as every message shows a name: as it is when plain_go,
   else quoted as strconv.Quote, a name over QNAME_MAX bytes shortened to its start and end around
   "..."; the result lives in one of 8 per-thread buffers, so one message may hold 8 of them */
const char *qname(const char *s);

#endif
