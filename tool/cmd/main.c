/* strata: the subcommand table; each subcommand lives in cmd_*.c */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "suggest.h"
#include "util.h"

#ifndef STRATA_VERSION
#define STRATA_VERSION "unknown"
#endif

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{"build", cmd_build, "build an image from a Dockerfile (docker build's flags)"},
	{"run", cmd_run, "run an image's command in the sandbox RUN uses, in the foreground"},
	{"gen", cmd_gen, "write a Makefile or build.ninja that builds the image step by step (--make|--ninja)"},
	{"step", cmd_step, "the commands a generated graph runs: hash, key, run, image, output"},
	{"parse", cmd_parse, "parse a Dockerfile: --dump (reference AST) or --json (expanded plan)"},
	{"images", cmd_images, "list the store's images"},
	{"inspect", cmd_inspect, "show images as JSON (docker's fields), or one --format field"},
	{"history", cmd_history, "show the steps that made an image"},
	{"tag", cmd_tag, "give an image another name"},
	{"rmi", cmd_rmi, "remove image names (the blobs go at the next gc)"},
	{"import", cmd_import, "copy an image into the store: oci:, oci-archive:, docker-archive:, rootfs:"},
	{"export", cmd_export, "write a store image to oci:, oci-archive:, docker-archive: (FILE or -)"},
	{"save", cmd_save, "write images to an archive (docker-archive, or --format oci-archive)"},
	{"load", cmd_load, "read the images of an archive, format detected, with their names"},
	{"gc", cmd_gc, "free the store's unreferenced blobs (--all: and every step result)"},
	{"prune", cmd_gc, "the same as gc"},
	{"version", cmd_version, "print strata's version"},
	{"help", cmd_help, "show the commands, or one command's options"},
};
enum { NCMDS = sizeof cmds / sizeof cmds[0] };

static void usage(FILE *f)
{
	fprintf(f, "usage: strata COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nstrata help COMMAND (or strata COMMAND --help) shows a command's options\n");
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h"))
		fatal("version: takes no arguments");
	if (argc > 1) {
		puts("usage: strata version\n  prints strata's version");
		return 0;
	}
	printf("strata version %s\n", STRATA_VERSION);
	return 0;
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	const char *names[NCMDS];
	for (size_t i = 0; i < NCMDS; i++)
		names[i] = cmds[i].name;
	const char *s = suggest_word(name, names, NCMDS);
	if (s)
		fatal("unknown command '%s' (did you mean %s?)", name, s);
	fatal("unknown command '%s' (see strata --help)", name);
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (argc > 2)
		fatal("help: one command at a time");
	const struct cmd *c = find(argv[1]);
	if (c->fn == cmd_help) {
		usage(stdout);
		return 0;
	}
	char *av[] = {argv[1], "--help", NULL};
	return c->fn(2, av);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	/* not a command for users: what the signal handler of cleanup.c execs */
	if (!strcmp(argv[1], CLEANUP_COMMAND))
		return cleanup_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
		return cmd_version(1, argv + 1);
	return find(argv[1])->fn(argc - 1, argv + 1);
}
