/* ref: docker's reference grammar, name normalisation, and image lookup by name or ID */
#include "ref.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "util.h"

#define DOCKER_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL "library/"

enum { NAME_TOTAL_MAX = 255, TAG_MAX = 128 };

static bool is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(int c)
{
	return isascii(c) && isalnum(c);
}

static bool is_word(int c)
{
	return is_alnum(c) || c == '_';
}

/* [a-z0-9]+ ((?:[._]|__|[-]+) [a-z0-9]+)* over p[0, n) */
static bool path_component_ok(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && is_lower_alnum((unsigned char)p[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		size_t sep = i;
		while (i < n && !is_lower_alnum((unsigned char)p[i]))
			i++;
		size_t len = i - sep;
		bool dashes = strspn(p + sep, "-") >= len;
		if (!((len == 1 && (p[sep] == '.' || p[sep] == '_')) || (len == 2 && !strncmp(p + sep, "__", 2)) ||
		      dashes) ||
		    i == n)
			return false;
	}
	return n > 0;
}

/* host[:port], host = domain name components separated by '.', or [IPv6] */
static bool domain_ok(const char *p, size_t n)
{
	size_t i = 0;
	if (n && p[0] == '[') {
		const char *close = memchr(p, ']', n);
		if (!close || close == p + 1)
			return false;
		for (const char *c = p + 1; c < close; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':')
				return false;
		i = (size_t)(close - p) + 1;
	} else {
		for (;;) {
			size_t start = i;
			while (i < n && (is_alnum((unsigned char)p[i]) || p[i] == '-'))
				i++;
			if (i == start || p[start] == '-' || p[i - 1] == '-')
				return false;
			if (i < n && p[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == n)
		return true;
	if (p[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return true;
}

/* (domain '/')? component ('/' component)* */
static bool name_ok(const char *p, size_t n)
{
	const char *slash = memchr(p, '/', n);
	size_t first = slash ? (size_t)(slash - p) : n;
	size_t i = 0;
	if (slash && domain_ok(p, first))
		i = first + 1;
	for (;;) {
		const char *s = memchr(p + i, '/', n - i);
		size_t end = s ? (size_t)(s - p) : n;
		if (!path_component_ok(p + i, end - i))
			return false;
		if (!s)
			return true;
		i = end + 1;
	}
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TAG_MAX || !is_word((unsigned char)t[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word((unsigned char)t[i]) && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

/* the digest grammar of the reference regexp: ALG(:HEX{32,}) */
static bool digest_syntax_ok(const char *d)
{
	const char *c = strchr(d, ':');
	if (!c || c == d || !isalpha((unsigned char)d[0]))
		return false;
	for (const char *p = d + 1; p < c; p++) {
		if (is_alnum((unsigned char)*p))
			continue;
		if (!strchr("-_+.", *p) || p + 1 == c || !isalpha((unsigned char)p[1]))
			return false;
	}
	size_t n = strlen(c + 1);
	if (n < 32)
		return false;
	for (const char *p = c + 1; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

/* go-digest's Validate, for the algorithms it knows */
static int digest_check(const char *d, struct error *err)
{
	const char *c = strchr(d, ':');
	size_t alen = (size_t)(c - d), want = 0;
	if (alen == 6 && !strncmp(d, "sha256", 6))
		want = 64;
	else if ((alen == 6 && !strncmp(d, "sha384", 6)) || (alen == 6 && !strncmp(d, "sha512", 6)))
		return err_set(err, "unsupported digest algorithm: strata pins sha256 digests only");
	else
		return err_set(err, "unsupported digest algorithm");
	if (strlen(c + 1) != want)
		return err_set(err, "invalid checksum digest length");
	for (const char *p = c + 1; *p; p++)
		if (!is_lower_alnum((unsigned char)*p) || *p > 'f')
			return err_set(err, "invalid checksum digest format");
	return 0;
}

static bool has_upper(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			return true;
	return false;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!is_lower_alnum((unsigned char)*s) || *s > 'f')
			return false;
	return true;
}

/* docker's splitDockerDomain: the domain (NULL: docker.io) and where the remainder starts */
static const char *split_domain(const char *s, size_t *dlen)
{
	const char *slash = strchr(s, '/');
	*dlen = 0;
	if (!slash)
		return NULL;
	size_t n = (size_t)(slash - s);
	bool domain = memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !strncmp(s, "localhost", 9)) ||
		      has_upper(s, n);
	if (!domain)
		return NULL;
	*dlen = n;
	return s;
}

int ref_normalize(const char *s, char out[REF_MAX], struct error *err)
{
	if (is_hex64(s))
		return err_set(err, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);
	size_t dlen;
	const char *dom = split_domain(s, &dlen);
	char domain[REF_MAX];
	const char *rem = s;
	if (dom) {
		if (dlen >= sizeof domain)
			return err_set(err, "repository name must not be more than %d characters", NAME_TOTAL_MAX);
		memcpy(domain, s, dlen);
		domain[dlen] = 0;
		rem = s + dlen + 1;
		if (!strcmp(domain, LEGACY_DOMAIN))
			strcpy(domain, DOCKER_DOMAIN);
	} else {
		strcpy(domain, DOCKER_DOMAIN);
	}
	bool official = !strcmp(domain, DOCKER_DOMAIN) && !strchr(rem, '/');
	/* the repository as docker names it in its messages */
	size_t rlen = strcspn(rem, ":");
	if (has_upper(rem, rlen))
		return err_set(err, "invalid reference format: repository name (%s%.*s) must be lowercase",
			       official ? OFFICIAL : "", (int)rlen, rem);
	char full[4 * REF_MAX];
	int fn = snprintf(full, sizeof full, "%s/%s%s", domain, official ? OFFICIAL : "", rem);
	if (fn < 0 || (size_t)fn >= sizeof full)
		return err_set(err, "invalid reference format");
	/* name[:tag][@digest] */
	char *at = strchr(full, '@');
	const char *digest = NULL, *tag = NULL;
	if (at) {
		*at = 0;
		digest = at + 1;
		if (!digest_syntax_ok(digest))
			return err_set(err, "invalid reference format");
	}
	char *lslash = strrchr(full, '/');
	char *colon = strrchr(lslash ? lslash : full, ':');
	if (colon) {
		*colon = 0;
		tag = colon + 1;
		if (!tag_ok(tag))
			return err_set(err, "invalid reference format");
	}
	if (!name_ok(full, strlen(full)))
		return err_set(err, "invalid reference format");
	if (strlen(full) > NAME_TOTAL_MAX)
		return err_set(err, "repository name must not be more than %d characters", NAME_TOTAL_MAX);
	if (digest && digest_check(digest, err) < 0)
		return -1;
	/* familiar form: docker.io/ and library/ dropped */
	const char *fam = full;
	if (!strncmp(fam, DOCKER_DOMAIN "/", strlen(DOCKER_DOMAIN) + 1)) {
		fam += strlen(DOCKER_DOMAIN) + 1;
		if (!strncmp(fam, OFFICIAL, strlen(OFFICIAL)) && !strchr(fam + strlen(OFFICIAL), '/'))
			fam += strlen(OFFICIAL);
	}
	int n = digest ? snprintf(out, REF_MAX, "%s@%s", fam, digest)
		       : snprintf(out, REF_MAX, "%s:%s", fam, tag ? tag : "latest");
	if (n < 0 || n >= REF_MAX)
		return err_set(err, "repository name must not be more than %d characters", NAME_TOTAL_MAX);
	return 0;
}

void ref_qualify(const char *name, char out[REF_MAX])
{
	size_t dlen;
	const char *dom = split_domain(name, &dlen);
	if (dom)
		snprintf(out, REF_MAX, "%s", name);
	else
		snprintf(out, REF_MAX, DOCKER_DOMAIN "/%s%s", strchr(name, '/') ? "" : OFFICIAL, name);
}

void ref_split(const char *name, char repo[REF_MAX], char tag[REF_MAX])
{
	const char *at = strchr(name, '@');
	if (at) {
		snprintf(repo, REF_MAX, "%.*s", (int)(at - name), name);
		snprintf(tag, REF_MAX, "<none>");
		return;
	}
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	if (!colon) {
		snprintf(repo, REF_MAX, "%s", name);
		snprintf(tag, REF_MAX, "<none>");
		return;
	}
	snprintf(repo, REF_MAX, "%.*s", (int)(colon - name), name);
	snprintf(tag, REF_MAX, "%s", colon + 1);
}

/* the config digest of a manifest text, or 0 when it is no manifest */
static int manifest_config(const char *text, size_t len, char id[DIGEST_SIZE])
{
	json_t *m = json_loadb(text, len, 0, NULL);
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	int ok = cd && digest_valid(cd);
	if (ok)
		memcpy(id, cd, DIGEST_SIZE);
	json_decref(m);
	return ok;
}

int ref_image_id(struct store *s, const char *md, char id[DIGEST_SIZE], struct error *err)
{
	char *text;
	size_t len;
	if (store_blob_read(s, md, &text, &len, err) < 0)
		return -1;
	int ok = manifest_config(text, len, id);
	free(text);
	return ok ? 0 : err_set(err, "manifest %s: no config digest", md);
}

/* 1 when arg is an ID prefix: [sha256:]HEX{1,64}; *hex points at the hex part */
static bool id_prefix(const char *arg, const char **hex)
{
	const char *h = strncmp(arg, "sha256:", 7) ? arg : arg + 7;
	size_t n = strlen(h);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = h; *p; p++)
		if (!is_lower_alnum((unsigned char)*p) || *p > 'f')
			return false;
	*hex = h;
	return true;
}

struct match {
	char manifest[DIGEST_SIZE], id[DIGEST_SIZE];
	int n; /* distinct IDs seen */
	char other[DIGEST_SIZE];
};

static void match_try(struct store *s, const char *md, const char *hex, struct match *m)
{
	char id[DIGEST_SIZE];
	struct error e;
	if (ref_image_id(s, md, id, &e) < 0 || strncmp(id + 7, hex, strlen(hex)) != 0)
		return;
	if (m->n && !strcmp(m->id, id))
		return;
	if (m->n == 0) {
		memcpy(m->id, id, DIGEST_SIZE);
		memcpy(m->manifest, md, DIGEST_SIZE);
	} else if (m->n == 1) {
		memcpy(m->other, id, DIGEST_SIZE);
	}
	m->n++;
}

/* the tagged images first; step results (untagged builds) only when no tag matches */
static int search_id(struct store *s, const char *hex, struct match *m, struct error *err)
{
	memset(m, 0, sizeof *m);
	struct strv names;
	strv_init(&names, NULL);
	if (store_tag_list(s, &names, err) < 0) {
		strv_free(&names);
		return -1;
	}
	for (size_t i = 0; i < names.n; i++) {
		char md[DIGEST_SIZE];
		struct error e;
		if (store_tag_get(s, names.v[i], md, &e) == 1)
			match_try(s, md, hex, m);
	}
	strv_free(&names);
	if (m->n)
		return 0;
	strv_init(&names, NULL);
	if (store_result_list(s, &names, err) < 0) {
		strv_free(&names);
		return -1;
	}
	for (size_t i = 0; i < names.n; i++) {
		char *text;
		struct error e;
		if (store_result_get(s, names.v[i], &text, &e) != 1)
			continue;
		json_t *r = json_loads(text, 0, NULL);
		const char *md = json_string_value(json_object_get(r, "manifest"));
		if (md && digest_valid(md))
			match_try(s, md, hex, m);
		json_decref(r);
		free(text);
	}
	strv_free(&names);
	return 0;
}

/* md names a manifest in the store */
static bool is_manifest(struct store *s, const char *md, char id[DIGEST_SIZE])
{
	struct error e;
	return store_blob_has(s, md) && ref_image_id(s, md, id, &e) == 0;
}

int ref_lookup(struct store *s, const char *arg, struct ref_image *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	if (digest_valid(arg) && is_manifest(s, arg, out->id)) {
		memcpy(out->manifest, arg, DIGEST_SIZE);
		return 1;
	}
	struct error nerr = {0};
	char name[REF_MAX];
	int named = !strncmp(arg, "sha256:", 7) ? -1 : ref_normalize(arg, name, &nerr);
	if (named == 0) {
		snprintf(out->name, sizeof out->name, "%s", name);
		const char *at = strchr(name, '@');
		if (at) {
			if (!is_manifest(s, at + 1, out->id)) {
				err_set(err, "no such image: %s", name);
				return 0;
			}
			memcpy(out->manifest, at + 1, DIGEST_SIZE);
			return 1;
		}
		int r = store_tag_get(s, name, out->manifest, err);
		if (r < 0)
			return -1;
		if (r == 1)
			return ref_image_id(s, out->manifest, out->id, err) < 0 ? -1 : 1;
	}
	const char *hex;
	if (id_prefix(arg, &hex)) {
		struct match m;
		if (search_id(s, hex, &m, err) < 0)
			return -1;
		if (m.n > 1)
			return err_set(err, "ambiguous image ID prefix %s: %.19s and %.19s match", arg, m.id, m.other);
		if (m.n == 1) {
			out->name[0] = 0;
			memcpy(out->manifest, m.manifest, DIGEST_SIZE);
			memcpy(out->id, m.id, DIGEST_SIZE);
			return 1;
		}
	}
	if (named < 0 && nerr.msg[0]) {
		*err = nerr;
		return -1;
	}
	err_set(err, "no such image: %s", named == 0 && !id_prefix(arg, &hex) ? name : arg);
	return 0;
}

int ref_resolve(struct store *s, const char *arg, struct ref_image *out, struct error *err)
{
	return ref_lookup(s, arg, out, err) == 1 ? 0 : -1;
}
