/* platform: os/arch[/variant] parsed and normalised as containerd does */
#include "platform.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "error.h"

static const char *const known_os[] = {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos",
				       "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris",
				       "windows", "zos"};
static const char *const known_arch[] = {"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be",
					 "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc", "ppc64",
					 "ppc64le", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"};

static int known(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* containerd's normalizeArch */
static void norm_arch(char *arch, char *variant)
{
	if (!strcmp(arch, "i386")) {
		strcpy(arch, "386");
		variant[0] = 0;
	} else if (!strcmp(arch, "x86_64") || !strcmp(arch, "x86-64") || !strcmp(arch, "amd64")) {
		strcpy(arch, "amd64");
		if (!strcmp(variant, "v1"))
			variant[0] = 0;
	} else if (!strcmp(arch, "aarch64") || !strcmp(arch, "arm64")) {
		strcpy(arch, "arm64");
		if (!strcmp(variant, "8") || !strcmp(variant, "v8"))
			variant[0] = 0;
	} else if (!strcmp(arch, "armhf")) {
		strcpy(arch, "arm");
		strcpy(variant, "v7");
	} else if (!strcmp(arch, "armel")) {
		strcpy(arch, "arm");
		strcpy(variant, "v6");
	} else if (!strcmp(arch, "arm")) {
		if (!variant[0] || !strcmp(variant, "7"))
			strcpy(variant, "v7");
		else if (!strcmp(variant, "5") || !strcmp(variant, "6") || !strcmp(variant, "8")) {
			char v[3] = {'v', variant[0], 0};
			strcpy(variant, v);
		}
	}
}

int platform_normalize(const char *s, char out[PLATFORM_MAX], struct error *err)
{
	if (strchr(s, ','))
		return err_set(err, "--platform %s: multi-platform builds are not supported yet: name one platform", s);
	char part[3][PLATFORM_MAX] = {"", "", ""};
	size_t n = 0;
	for (const char *p = s;; n++) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 3 || len >= PLATFORM_MAX)
			return err_set(err, "\"%s\": cannot parse platform specifier: want os/arch[/variant]", s);
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
				return err_set(err, "\"%.*s\" is an invalid component of \"%s\": platform specifier "
						    "component must match \"^[A-Za-z0-9_-]+$\"",
					       (int)len, p, s);
		if (len == 0)
			return err_set(err, "\"%s\": cannot parse platform specifier: want os/arch[/variant]", s);
		memcpy(part[n], p, len);
		part[n][len] = 0;
		for (char *c = part[n]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!slash) {
			n++;
			break;
		}
		p = slash + 1;
	}
	char os[PLATFORM_MAX] = "linux", arch[PLATFORM_MAX] = "", variant[PLATFORM_MAX] = "";
	if (n == 1) {
		if (known(part[0], known_os, sizeof known_os / sizeof *known_os))
			return err_set(err, "--platform %s: want os/arch[/variant]", s);
		strcpy(arch, part[0]);
	} else {
		strcpy(os, !strcmp(part[0], "macos") ? "darwin" : part[0]);
		strcpy(arch, part[1]);
		strcpy(variant, part[2]);
	}
	norm_arch(arch, variant);
	if (!known(os, known_os, sizeof known_os / sizeof *known_os) ||
	    !known(arch, known_arch, sizeof known_arch / sizeof *known_arch))
		return err_set(err, "\"%s\": unknown operating system or architecture", s);
	if (strcmp(os, "linux"))
		return err_set(err, "--platform %s: strata builds linux images only", s);
	snprintf(out, PLATFORM_MAX, "%s/%s%s%s", os, arch, variant[0] ? "/" : "", variant);
	return 0;
}

int platform_matches(const char *p, const char *os, const char *arch, const char *variant)
{
	char want[PLATFORM_MAX], got[3 * PLATFORM_MAX];
	struct error e;
	if (platform_normalize(p, want, &e) < 0)
		snprintf(want, sizeof want, "%s", p);
	snprintf(got, sizeof got, "%s/%s%s%s", os ? os : "", arch ? arch : "", variant && *variant ? "/" : "",
		 variant && *variant ? variant : "");
	char g[PLATFORM_MAX];
	if (platform_normalize(got, g, &e) == 0)
		snprintf(got, sizeof got, "%s", g);
	if (!strcmp(want, got))
		return 1;
	/* an image that names no variant matches any variant of its architecture */
	if (!variant || !*variant) {
		size_t n = strlen(got);
		return !strncmp(want, got, n) && want[n] == '/';
	}
	return 0;
}

const char *platform_host(void)
{
	/* uname's machine names that are no GOARCH: the rest normalise as --platform does */
	static const struct {
		const char *machine, *platform;
	} map[] = {
		{"armv7l", "linux/arm/v7"}, {"armv6l", "linux/arm/v6"}, {"armv5tel", "linux/arm/v5"},
		{"i686", "linux/386"}, {"i586", "linux/386"},
	};
	static char host[PLATFORM_MAX];
	struct utsname u;
	if (uname(&u) < 0)
		return "linux/amd64";
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (!strcmp(u.machine, map[i].machine))
			return map[i].platform;
	char spec[PLATFORM_MAX + 8];
	struct error err;
	snprintf(spec, sizeof spec, "linux/%s", u.machine);
	if (platform_normalize(spec, host, &err) < 0)
		snprintf(host, sizeof host, "linux/%.*s", PLATFORM_MAX - 7, u.machine);
	return host;
}
