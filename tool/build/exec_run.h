#ifndef STRATA_EXEC_RUN_H
#define STRATA_EXEC_RUN_H
/* RUN: the command in the sandbox (sandbox.h) on an overlay of the parent's
   extracted layers with a fresh upper directory, which becomes the step's
   layer. /etc/hosts, /etc/resolv.conf, /etc/hostname and the mount points
   come from a stub layer stacked on top, so none of them lands in the
   layer (docker removes its stubs too). */
#include <stdbool.h>

#include "sandbox.h"

struct error;
struct exec;
struct step;

/* what the whole build says about RUN steps */
struct run_opts {
	enum sandbox_net net;       /* strata build --network: RUN --network overrides it */
	bool quiet;                 /* -q: the commands' output is not shown */
};

/* the flags of RUN step s (--network, --security, --mount) are valid; -1 with err when not */
int exec_run_check(const struct step *s, struct error *err);
/* RUN: x->step on x->img; adds its layer (none when it changed nothing) and history entry */
int exec_run(struct exec *x, struct error *err);

#endif
