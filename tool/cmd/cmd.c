/* cmd: what the subcommands share: their start (options with --help and "did you mean", operands,
   the store), errors, sizes */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "compress.h"
#include "error.h"
#include "store.h"
#include "suggest.h"
#include "util.h"

int cmd_start(const struct cmd_spec *spec, int argc, char **argv, struct store **s, int *status)
{
	static const struct option help_only[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	char so[64];
	snprintf(so, sizeof so, "%sh", spec->shortopts ? spec->shortopts : "");
	const struct option *opts = spec->opts ? spec->opts : help_only;
	*status = -1;
	opterr = 0;
	int c = getopt_long(argc, argv, so, opts, NULL);
	if (c == '?' || c == ':')
		suggest_bad_option(argv[0], so, opts, argc, argv);
	if (c == 'h') {
		fputs(spec->usage, stdout);
		*status = 0;
		return 0;
	}
	if (c != -1)
		return c;
	int n = argc - optind;
	if (n < spec->min || n > spec->max) {
		fputs(spec->usage, stderr);
		*status = 2;
		return 0;
	}
	struct error err;
	if (spec->store && cmd_open_store(s, false, &err) < 0) {
		*status = cmd_fail(*s, &err);
		*s = NULL;
	}
	return 0;
}

void cmd_compression_flag(const char *name, const char *arg, struct compression *how)
{
	struct error err;
	if (!strcmp(name, "allow-foreign-deflate")) {
		compress_allow_foreign(1);
	} else if (!strcmp(name, "compression")) {
		if (compress_parse(arg, &how->method, &err) < 0)
			fatal("%s", err.msg);
	} else {
		char *end;
		long v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 99)
			fatal("--compression-level %s: want a number", arg);
		how->level = (int)v;
	}
}

int cmd_open_store(struct store **s, bool exclusive, struct error *err)
{
	if (store_open(s, err) < 0)
		return -1;
	return store_lock(*s, exclusive, err);
}

int cmd_fail(struct store *s, const struct error *err)
{
	fprintf(stderr, "%s: %s\n", PROG, err->msg);
	store_close(s);
	return 1;
}

void cmd_human_since(const char *t, char *buf, size_t size)
{
	struct tm tm = {0};
	const char *end = t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end) {
		snprintf(buf, size, "N/A");
		return;
	}
	long long secs = (long long)time(NULL) - (long long)timegm(&tm);
	long long mins = secs / 60, hours = (secs + 1800) / 3600;
	if (secs < 1)
		snprintf(buf, size, "Less than a second ago");
	else if (secs == 1)
		snprintf(buf, size, "1 second ago");
	else if (secs < 60)
		snprintf(buf, size, "%lld seconds ago", secs);
	else if (mins == 1)
		snprintf(buf, size, "About a minute ago");
	else if (mins < 60)
		snprintf(buf, size, "%lld minutes ago", mins);
	else if (hours == 1)
		snprintf(buf, size, "About an hour ago");
	else if (hours < 48)
		snprintf(buf, size, "%lld hours ago", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, size, "%lld days ago", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(buf, size, "%lld weeks ago", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, size, "%lld months ago", hours / 24 / 30);
	else
		snprintf(buf, size, "%lld years ago", secs / 3600 / 24 / 365);
}
