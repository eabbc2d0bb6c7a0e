#ifndef STRATA_USERNS_H
#define STRATA_USERNS_H
/* A build by a user other than root: strata becomes root of a user namespace
   of its own, where it may mount overlays and give files the owners the
   layers say. The user's uid and gid map to 0; when /etc/subuid and
   /etc/subgid give the user subordinate ranges and newuidmap/newgidmap
   (Debian's uidmap) are installed, those ranges map to 1..N. Files of the
   store then belong to the user (and to those ranges); an owner outside the
   map cannot be represented and is an error. Overlays use userxattr. */
#include <stdbool.h>

struct error;

/* as a user other than root, enter a new user namespace as its root (once: later calls do nothing);
   call before any thread starts; as root, nothing. 0 or -1 with err saying what failed */
int userns_enter(struct error *err);
/* true once userns_enter made this process root of a user namespace */
bool userns_active(void);
/* "ids 0-65536 (uid 1000 and /etc/subuid)" or "id 0 only (uid 1000; no /etc/subuid range)": what is
   mapped, for messages (empty before userns_enter) */
const char *userns_describe(void);

#endif
