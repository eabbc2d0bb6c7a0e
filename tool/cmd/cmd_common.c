/* what the subcommands share: option parsing with --help and "did you mean", the store, sizes */
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

int cmd_getopt(int argc, char **argv, const char *shortopts, const struct option *opts, const char *usage)
{
	opterr = 0;
	char so[64];
	snprintf(so, sizeof so, "%sh", shortopts);
	for (;;) {
		int c = getopt_long(argc, argv, so, opts, NULL);
		if (c == 'h') {
			fputs(usage, stdout);
			return 'h';
		}
		if (c == '?' || c == ':')
			suggest_bad_option(argv[0], so, opts, argc, argv);
		return c;
	}
}

int cmd_nargs(int argc, const char *usage, int min, int max)
{
	int n = argc - optind;
	if (n < min || n > max) {
		fputs(usage, stderr);
		return 2;
	}
	return -1;
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
