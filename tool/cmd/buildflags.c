#include "buildflags.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "compress.h"
#include "error.h"
#include "runmount.h"
#include "sandbox.h"

void buildflags_init(struct buildflags *f, struct arena *a)
{
	f->a = a;
	strv_init(&f->labels, a);
	f->platform[0] = 0;
}

int buildflags_take(struct buildflags *f, struct build_opts *o, int c, const char *arg)
{
	struct error err;
	switch (c) {
	case BUILDFLAG_BUILD_ARG:
		build_arg_set(&o->build_args, arg);
		return 1;
	case BUILDFLAG_TARGET:
		o->target = arg;
		return 1;
	case BUILDFLAG_PLATFORM:
		if (platform_normalize(arg, f->platform, &err) < 0)
			fatal("%s", err.msg);
		o->platform = f->platform;
		return 1;
	case BUILDFLAG_LABEL:
		if (!*arg || *arg == '=')
			fatal("build: --label needs KEY=VALUE, not '%s'", arg);
		strv_push(&f->labels, (char *)arg);
		return 1;
	case BUILDFLAG_KEEP_MODES:
		o->keep_modes = true;
		return 1;
	case BUILDFLAG_DROP_VOLATILE:
		o->drop_volatile = true;
		return 1;
	case BUILDFLAG_NETWORK:
		if (sandbox_net_parse(arg, &o->network) < 0)
			fatal("build: --network must be default, none or host, not '%s'", arg);
		return 1;
	case BUILDFLAG_SECRET: {
		struct run_secret sec;
		if (run_secret_parse(f->a, arg, &sec, &err) < 0)
			fatal("build: %s", err.msg);
		struct run_secret *ns = arena_alloc(f->a, (o->nsecrets + 1) * sizeof *ns);
		if (o->nsecrets)
			memcpy(ns, o->secrets, o->nsecrets * sizeof *ns);
		ns[o->nsecrets++] = sec;
		o->secrets = ns;
		return 1;
	}
	case BUILDFLAG_COMPRESSION:
		cmd_compression_flag("compression", arg, &o->compression);
		return 1;
	case BUILDFLAG_COMPRESSION_LEVEL:
		cmd_compression_flag("compression-level", arg, &o->compression);
		return 1;
	case BUILDFLAG_ALLOW_FOREIGN:
		o->allow_foreign_deflate = true;
		cmd_compression_flag("allow-foreign-deflate", NULL, &o->compression);
		return 1;
	}
	return 0;
}

void buildflags_done(struct buildflags *f, struct build_opts *o)
{
	struct error err;
	if (compress_level(&o->compression, &err) < 0)
		fatal("%s", err.msg);
	o->labels = (const char **)f->labels.v;
	o->nlabels = f->labels.n;
}
