#ifndef STRATA_PORT_H
#define STRATA_PORT_H
/* EXPOSE's port specs as BuildKit reads them ([ip:][hostport:]port[-port][/proto]): the
   container ports as "port/proto", in order. */
#include <stdbool.h>

struct arena;
struct error;
struct strv;

/* add spec's container ports to out; -1 with err (BuildKit's text) when invalid; *mapping is
   set when spec names an IP address or a host port (a warning in BuildKit) */
int port_parse(struct arena *a, const char *spec, struct strv *out, bool *mapping, struct error *err);

#endif
