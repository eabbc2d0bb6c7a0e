#ifndef STRATA_PROGRESS_H
#define STRATA_PROGRESS_H
/* What a build shows on standard error. plain: one line per finished step,
   "[N/TOTAL] LINE (1.23s)" or "(cached)", as logs want it. tty: the same
   lines with the stage name, the FROM lines, and a live line for the running
   step with its elapsed time and the bytes hashed or written so far
   (io_counted), redrawn ten times a second. quiet: nothing. */
#include <stddef.h>

enum progress_mode { PROGRESS_PLAIN, PROGRESS_TTY, PROGRESS_QUIET };

struct progress;

/* a progress display for total steps */
struct progress *progress_new(enum progress_mode mode, size_t total);
/* every call below takes NULL as a progress that shows nothing */
/* a stage begins: its FROM line (tty only) */
void progress_from(struct progress *p, const char *stage, const char *line);
/* a step begins (tty: the live line starts) */
void progress_start(struct progress *p, const char *stage, const char *line);
/* the step begun last is done: cached, or built in secs */
void progress_done(struct progress *p, int cached, double secs);
/* a live line for work after the steps (exports): what, until progress_done or progress_free */
void progress_work(struct progress *p, const char *what);
/* a step's command wrote n bytes of output: on a terminal, whole lines go above the live line
   (a partial line waits for its end or for progress_done); otherwise they go to stderr as they are */
void progress_output(struct progress *p, const char *s, size_t n);
/* the seconds since progress_new */
double progress_elapsed(const struct progress *p);
/* stop the live line and free p; NULL is fine */
void progress_free(struct progress *p);

#endif
