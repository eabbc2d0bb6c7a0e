#ifndef STRATA_CMD_H
#define STRATA_CMD_H
/* the subcommands; each takes its own argv (argv[0] is the command name) and returns the exit status */
int cmd_parse(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_build(int argc, char **argv);

struct env;
/* add one --build-arg K=V (or K, taken from the environment) to e */
void build_arg_set(struct env *e, const char *kv);
#endif
