#ifndef STRATA_USER_H
#define STRATA_USER_H
/* The user a command runs as: USER's value (name or uid, then optionally
   :group or :gid) resolved in the image's own /etc/passwd and /etc/group, by
   docker's rules. */
#include <stddef.h>

struct arena;
struct error;

struct user_ids {
	unsigned uid, gid;
	unsigned *groups;      /* supplementary groups: gid first, then those listing the user when no
	                          group was given */
	size_t ngroups;
	const char *home;      /* the passwd entry's home, "/" when none */
};

/* resolve spec below rootfs (a symlink in the image never leads out): a name must exist, a number
   need not (then gid 0, home "/"); 0 or -1 with err ("unable to find user NAME: ...") */
int user_lookup(struct arena *a, const char *rootfs, const char *spec, struct user_ids *out, struct error *err);

#endif
