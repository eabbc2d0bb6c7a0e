/* strata run: an image's command in the RUN sandbox, in the foreground */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"
#include "exec_run.h"
#include "image.h"
#include "ref.h"
#include "store.h"
#include "sys.h"
#include "userns.h"
#include "util.h"

static const char usage[] =
	"usage: strata run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	"  run IMAGE's entrypoint and command (or COMMAND) in the sandbox RUN uses, in the\n"
	"  foreground; what it changes in the image's files is discarded when it ends\n"
	"      --rm                 accepted for docker's sake: nothing is ever kept\n"
	"      --network MODE       default (outbound through slirp4netns), none or host\n"
	"  -e, --env K=V            set an environment variable (K alone: take strata's)\n"
	"  -v, --volume HOST:CTR[:ro|rw]  bind a host file or directory\n"
	"  exit status: the command's (128+N when signal N ended it)\n";

int cmd_run(int argc, char **argv)
{
	enum { RM = 256, NETWORK };
	static const struct option opts[] = {{"rm", no_argument, NULL, RM},
					     {"network", required_argument, NULL, NETWORK},
					     {"env", required_argument, NULL, 'e'},
					     {"volume", required_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct run_image_opts o = {0};
	struct strv env, vols;
	strv_init(&env, NULL);
	strv_init(&vols, NULL);
	static const struct cmd_spec spec = {usage, "+e:v:", opts, 1, CMD_MANY, false};
	int c, ret;
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		switch (c) {
		case NETWORK:
			if (sandbox_net_parse(optarg, &o.net) < 0)
				fatal("run: --network must be default, none or host, not '%s'", optarg);
			break;
		case 'e':
			strv_push(&env, xstrdup(optarg));
			break;
		case 'v':
			strv_push(&vols, xstrdup(optarg));
			break;
		default:
			break;
		}
	}
	if (ret >= 0) {
		strv_free(&env), strv_free(&vols);
		return ret;
	}
	o.args = (const char *const *)argv + optind + 1;
	o.nargs = (size_t)(argc - optind - 1);
	o.env = (const char *const *)env.v;
	o.nenv = env.n;
	o.volumes = (const char *const *)vols.v;
	o.nvolumes = vols.n;
	struct error err = {0};
	struct store *s = NULL;
	struct ref_image ri;
	struct image im = {0};
	int status = 0;
	int rc = 0;
	if ((geteuid() == 0 && sys_host_root(&err) < 0) || cmd_open_store(&s, false, &err) < 0 ||
	    ref_resolve(s, argv[optind], &ri, &err) < 0 || image_load(s, ri.manifest, &im, &err) < 0 ||
	    userns_enter(&err) < 0 || sys_private_mounts(&err) < 0 ||
	    run_image(s, &im, &o, &status, &err) < 0)
		rc = -1;
	if (im.config)
		image_free(&im);
	strv_free(&env), strv_free(&vols);
	if (rc < 0)
		return cmd_fail(s, &err);
	store_close(s);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
