#ifndef STRATA_HISTORY_H
#define STRATA_HISTORY_H
/* The created_by text of a step's history entry, as BuildKit writes it, so an
   image's config compares equal with docker's: "COPY --chown=1 a b # buildkit",
   "EXPOSE [80/tcp]", "CMD [\"sh\" \"-c\" \"x\"]", ... */

struct arena;
struct image;
struct step;

/* the text for step s, given the image after it; NULL when BuildKit writes no entry (ONBUILD) */
const char *history_text(struct arena *a, const struct step *s, struct image *after);
/* Go's time.Duration.String of ns ("0s", "1m30s", "1.5s", "500ms") */
const char *history_duration(struct arena *a, long long ns);

#endif
