#ifndef STRATA_CMD_H
#define STRATA_CMD_H
/* the subcommands; each takes its own argv (argv[0] is the command name) and returns the exit status */
#include <stdbool.h>
#include <stddef.h>

int cmd_parse(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_step(int argc, char **argv);

struct compression;
struct env;
struct error;
struct option;
struct store;
/* add one --build-arg K=V (or K, taken from the environment) to e */
void build_arg_set(struct env *e, const char *kv);

/* shared by the subcommands (cmd.c) */
/* what a subcommand takes: its options (getopt_long's; opts NULL: --help is the only one, else
   opts must map "help" to 'h'), how many operands (min..max, CMD_MANY: no limit), and whether it
   opens the store (locked shared) once they are checked */
enum { CMD_MANY = 1 << 20 };
struct cmd_spec {
	const char *usage;
	const char *shortopts;
	const struct option *opts;
	int min, max;
	bool store;
};
/* the start every subcommand shares: the next option as getopt returns it (--help prints usage,
   a bad flag dies with a "did you mean"), or 0 when the options end; then *status is -1 to go on
   with the operands at argv[optind] (and *s the open store when spec->store), or the exit status
   to return: 0 after --help, 2 after usage for a wrong count, 1 after the store's error */
int cmd_start(const struct cmd_spec *spec, int argc, char **argv, struct store **s, int *status);
/* open the store and take its lock (shared, or exclusive); 0 or -1 with err */
int cmd_open_store(struct store **s, bool exclusive, struct error *err);
/* print "strata: MSG" of err, close s (NULL is fine), return 1 */
int cmd_fail(struct store *s, const struct error *err);
/* one of the compression flags that build, export and save share, by its long name
   ("compression", "compression-level" or "allow-foreign-deflate") with its argument, into how;
   dies on a bad value (the level's range is checked by compress_level once all flags are read) */
void cmd_compression_flag(const char *name, const char *arg, struct compression *how);
/* docker's "3 weeks ago" for an RFC 3339 time; "N/A" when unreadable */
void cmd_human_since(const char *rfc3339, char *buf, size_t size);
#endif
