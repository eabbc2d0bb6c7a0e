/* strata: the subcommand table; each subcommand lives in cmd_*.c */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{"build", cmd_build, "build an image from a Dockerfile (docker build's flags)"},
	{"parse", cmd_parse, "parse a Dockerfile: --dump (reference AST) or --json (expanded plan)"},
	{"import", cmd_import, "copy an image into the store: oci:, oci-archive:, docker-archive:, rootfs:"},
	{"export", cmd_export, "write a store image to oci:, oci-archive: or docker-archive:"},
	{"images", cmd_images, "list the store's tagged images"},
	{"inspect", cmd_inspect, "print an image's config (--manifest: its manifest)"},
	{"rmi", cmd_rmi, "remove an image tag"},
	{"gc", cmd_gc, "free the store's unreferenced blobs"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: strata COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nstrata COMMAND --help shows a command's options\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fatal("unknown command '%s' (see strata --help)", argv[1]);
}
