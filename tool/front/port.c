#include "port.h"

#include <arpa/inet.h>
#include <string.h>

#include "error.h"
#include "util.h"

/* Go's strconv.ParseUint(s, 10, 16) */
static int parse_u16(const char *s, unsigned *v)
{
	if (!*s)
		return -1;
	unsigned long x = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (unsigned long)(*s - '0');
		if (x > 65535)
			return -1;
	}
	*v = (unsigned)x;
	return 0;
}

/* "n" or "lo-hi" */
static int parse_range(struct arena *a, const char *s, unsigned *lo, unsigned *hi)
{
	const char *dash = strchr(s, '-');
	if (!*s)
		return -1;
	if (!dash) {
		if (parse_u16(s, lo) < 0)
			return -1;
		*hi = *lo;
		return 0;
	}
	if (strchr(dash + 1, '-'))
		return -1;
	if (parse_u16(arena_strndup(a, s, (size_t)(dash - s)), lo) < 0 || parse_u16(dash + 1, hi) < 0 || *hi < *lo)
		return -1;
	return 0;
}

static bool valid_ip(struct arena *a, const char *ip)
{
	unsigned char buf[16];
	size_t n = strlen(ip);
	if (ip[0] == '[' && n >= 2 && ip[n - 1] == ']')
		ip = arena_strndup(a, ip + 1, n - 2);
	return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

int port_parse(struct arena *a, const char *spec, struct strv *out, bool *mapping, struct error *err)
{
	/* [ip:]hostport:port: the last two ':'-parts are the ports, the rest the address */
	const char *last = strrchr(spec, ':');
	const char *ip = "", *host = "", *cport = spec;
	if (last) {
		cport = last + 1;
		const char *prev = last;
		while (prev > spec && prev[-1] != ':')
			prev--;
		host = arena_strndup(a, prev, (size_t)(last - prev));
		if (prev > spec)
			ip = arena_strndup(a, spec, (size_t)(prev - 1 - spec));
	}
	const char *slash = strchr(cport, '/');
	char *port = arena_strndup(a, cport, slash ? (size_t)(slash - cport) : strlen(cport));
	char *proto = arena_strdup(a, slash ? slash + 1 : "");
	for (char *q = proto; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q += 32;
	if (!*port)
		return err_set(err, "no port specified: %s<empty>", cport);
	if (!*proto)
		proto = "tcp";
	else if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return err_set(err, "invalid proto: %s", proto);
	if (*ip && !valid_ip(a, ip))
		return err_set(err, "invalid IP address: %s", ip);
	unsigned lo, hi, hlo, hhi;
	if (parse_range(a, port, &lo, &hi) < 0)
		return err_set(err, "invalid containerPort: %s", port);
	if (*host) {
		if (parse_range(a, host, &hlo, &hhi) < 0)
			return err_set(err, "invalid hostPort: %s", host);
		if (hi - lo != hhi - hlo && hi != lo)
			return err_set(err, "invalid ranges specified for container and host Ports: %s and %s", port,
				       host);
	}
	*mapping = last != NULL;
	for (unsigned p = lo; p <= hi; p++)
		strv_push(out, arena_printf(a, "%u/%s", p, proto));
	return 0;
}
