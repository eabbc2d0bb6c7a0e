#ifndef STRATA_CLEANUP_H
#define STRATA_CLEANUP_H
/* What a process leaves behind when SIGINT, SIGTERM or SIGHUP ends it: its entries in the
   store's tmp/ (named PID.…, with the mounts on them) and the files it registered (an export's
   DEST.tmp-…). The handler cannot free them itself (removing a tree needs malloc), so it execs
   the strata binary again, keeping the pid, as `strata CLEANUP_COMMAND SIG ROOT FILE…`, which
   removes them and then dies of the same signal. SIGKILL leaves them to `strata gc`, which
   frees the entries of processes that are gone. */

/* the hidden subcommand the handler runs */
#define CLEANUP_COMMAND "__cleanup-after-signal"

/* catch SIGINT, SIGTERM and SIGHUP in this process, cleaning up the store at root (absolute) */
void cleanup_install(const char *root);
/* remove path (a file or a tree named NAME.tmp-…; copied) too when a signal ends the process; at
   most 16 at once: 0, or -1 when full or too long (then it is only left behind) */
int cleanup_add(const char *path);
/* forget path (it was committed or removed) */
void cleanup_del(const char *path);
/* the body of CLEANUP_COMMAND (argv[0] is its name); does not return */
int cleanup_main(int argc, char **argv);

#endif
