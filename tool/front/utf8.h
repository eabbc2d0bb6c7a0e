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

#endif
