#ifndef STRATA_UTIL_H
#define STRATA_UTIL_H
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include <stdnoreturn.h>

struct error;
struct stat;

/* argv[0]-like prefix of every message */
#define PROG "strata"

/* print "strata: MSG" to stderr and exit 1 (or jump to fatal_hook) */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* print "strata: FILE:LINE:COL: MSG" and exit 1 (or jump to fatal_hook) */
noreturn void fatal_at(const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* print "strata: warning: MSG" to stderr */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* when set, fatal() stores its message in fatal_msg and calls this (which must not return:
   it longjmps) instead of exiting; for fuzzers and tests */
extern void (*fatal_hook)(void);
extern char fatal_msg[1024];

/* print "strata: out of memory" and abort: where every failed allocation ends */
noreturn void oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a bump allocator: everything the front end makes lives in one and is freed at once */
struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* room for need elements of size bytes in the array v of *cap elements: v itself when it has it,
   else a copy of it with at least twice the room (8 elements at first), malloc'd (v freed) or,
   when a is set, in the arena (v left there), and *cap updated; the new room depends on *cap and
   need alone, so arrays kept side by side grow alike; v may be NULL when *cap is 0; out of memory
   ends the process */
void *array_grow(void *v, size_t *cap, size_t need, size_t size, struct arena *a);

/* an executable prog is in one of $PATH's folders (a default path when PATH is unset or empty) */
bool prog_on_path(const char *prog);

/* a growable byte string: s is never NULL and always NUL-terminated ("" until the first byte
   goes in; the empty text is read-only until then); from an arena when a is set, else malloc */
struct buf {
	char *s;
	size_t len, cap;
	struct arena *a;
};
void buf_init(struct buf *b, struct arena *a);
void buf_putc(struct buf *b, int c);
void buf_putn(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* empty the text, keeping the room */
void buf_reset(struct buf *b);
/* the text as the caller's own writable string (malloc'd, or in b's arena), never NULL; b is
   left empty, as after buf_init */
char *buf_take(struct buf *b);
/* release a malloc'd buffer (no-op for arena buffers); b is left empty, as after buf_init */
void buf_free(struct buf *b);

/* a growable vector of strings */
struct strv {
	char **v;
	size_t n, cap;
	struct arena *a;
};
void strv_init(struct strv *sv, struct arena *a);
void strv_push(struct strv *sv, char *s);
/* release a malloc'd vector and its strings */
void strv_free(struct strv *sv);

/* the Levenshtein distance of a and b; with swaps an adjacent transposition counts one
   (Damerau, as cobra's suggestions; BuildKit's suggest package counts it two) */
size_t edit_distance(const char *a, const char *b, bool swaps);
/* Go's path.Clean (filepath.Clean on Unix) of p[0, n) into out, which has room for n + 2 bytes;
   the length written (no NUL) */
size_t path_clean_into(const char *p, size_t n, char *out);
/* the same into a malloc'd string */
char *path_clean(const char *p);
/* the same in arena a */
char *path_clean_arena(struct arena *a, const char *p);
/* remove name under dfd (AT_FDCWD: a path) and everything below it, never following a symlink
   nor crossing into a mount, opening up directories a layer made unreadable; adds the bytes of
   removed files to *bytes when set; gone already is fine; 0 or -1 with errno */
int remove_tree_at(int dfd, const char *name, long long *bytes);
/* the largest user or group id: 2^32 - 1 is chown's "no change", never an owner */
#define ID_MAX 4294967294ULL
/* a user or group id as BuildKit parses one (Go's strconv.ParseUint(s, 10, 32): decimal digits
   only, no sign, no space), 0 to ID_MAX; 0 with *id, or -1 when s is anything else */
int id_parse(const char *s, unsigned *id);
/* the value of the hex digit c (0-9, a-f or A-F), or -1 */
int hex_digit(int c);
/* write all n bytes, retrying after EINTR; 0 or -1 with errno */
int write_all(int fd, const void *p, size_t n);
/* the names in the directory d, except "." and "..", appended to out (in out's arena, else
   malloc'd; in readdir order); closes d; 0, or -1 with errno */
int dir_names(DIR *d, struct strv *out);
/* the names in dir, except "." and "..", appended to out (malloc'd, in readdir order); 0 or -1 with err */
int list_dir(const char *dir, struct strv *out, struct error *err);
/* read up to n bytes, retrying after EINTR; the count, 0 at the end, or -1 with errno */
ssize_t read_some(int fd, void *p, size_t n);
/* n bytes as docker shows sizes: 512B, 4.26MB, 1.1GB (decimal units, 3 digits) */
void human_size(long long n, char *buf, size_t size);
/* count n bytes read for hashing or writing (any thread), for a progress line */
void io_count(long long n);
/* the bytes counted so far */
long long io_counted(void);
/* open rel below the directory rootfd as if rootfd were "/": ".." and absolute symlinks stop at it
   (openat2 RESOLVE_IN_ROOT, or a walk one component at a time where the kernel lacks it); flags as
   openat's (O_NOFOLLOW refuses a symlink as the last component); the fd or -1 with errno */
int openat_root(int rootfd, const char *rel, int flags);
/* openat(dirfd, name, flags) without updating the access time where the process may (it owns the
   file, or is root) */
int openat_noatime(int dirfd, const char *name, int flags);
/* set path's access and modification times (of a symlink itself, never its target); -1 with err */
int set_times(const char *path, struct timespec atime, struct timespec mtime, struct error *err);
/* read a whole file into a NUL-terminated malloc'd buffer; NULL and errno on failure */
char *read_file(const char *path, size_t *len);
/* read_file, a missing file being no error: 1 with *out (and *len when len is set), 0 when path does
   not exist, -1 with err ("read PATH") */
int read_file_if(const char *path, char **out, size_t *len, struct error *err);
/* open path for reading when it is a regular file, never blocking on a fifo nor opening a device
   (nofollow: a symlink in its last component is refused too); the fd (O_CLOEXEC, blocking) and its
   stat go out; -1 with err ("WHAT: not a regular file") otherwise */
int open_regular(const char *path, const char *what, bool nofollow, int *fd, struct stat *st,
		 struct error *err);
/* the whole regular file at path (followed through symlinks), at most max bytes, NUL-terminated
   and malloc'd into *out; -1 with err naming what */
int read_regular(const char *path, const char *what, size_t max, char **out, size_t *len, struct error *err);
/* replace path's content with the n bytes at p (temporary file and rename) unless it already holds
   exactly them, so its mtime changes only with its content; 1 written, 0 unchanged, -1 with errno */
int write_if_changed(const char *path, const void *p, size_t n);

#endif
