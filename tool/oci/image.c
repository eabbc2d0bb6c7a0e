#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "layer.h"
#include "store.h"
#include "util.h"

void image_time(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void image_scratch(struct image *im, const char *platform)
{
	char os[64] = "linux", arch[64] = "amd64", variant[64] = "";
	sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant);
	im->config = json_object();
	json_object_set_new(im->config, "architecture", json_string(arch));
	json_object_set_new(im->config, "os", json_string(os));
	if (*variant)
		json_object_set_new(im->config, "variant", json_string(variant));
	json_t *rootfs = json_object();
	json_object_set_new(rootfs, "type", json_string("layers"));
	json_object_set_new(rootfs, "diff_ids", json_array());
	json_object_set_new(im->config, "rootfs", rootfs);
	json_object_set_new(im->config, "config", json_object());
	im->layers = json_array();
	im->manifest[0] = 0;
	im->config_digest[0] = 0;
}

void image_free(struct image *im)
{
	json_decref(im->config);
	json_decref(im->layers);
	im->config = im->layers = NULL;
}

void image_copy(struct image *dst, const struct image *src)
{
	dst->config = json_deep_copy(src->config);
	dst->layers = json_deep_copy(src->layers);
	memcpy(dst->manifest, src->manifest, sizeof dst->manifest);
	memcpy(dst->config_digest, src->config_digest, sizeof dst->config_digest);
}

static json_t *load_json(struct store *s, const char *digest, struct error *err)
{
	char *p;
	size_t len;
	if (store_blob_read(s, digest, &p, &len, err) < 0)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	free(p);
	if (!j)
		err_set(err, "blob %s: invalid JSON: %s", digest, je.text);
	return j;
}

int image_load(struct store *s, const char *md, struct image *im, struct error *err)
{
	memset(im, 0, sizeof *im);
	json_t *m = load_json(s, md, err);
	if (!m)
		return -1;
	json_t *cfgd = json_object_get(json_object_get(m, "config"), "digest");
	json_t *layers = json_object_get(m, "layers");
	if (!json_is_string(cfgd) || !digest_valid(json_string_value(cfgd)) || !json_is_array(layers)) {
		json_decref(m);
		return err_set(err, "manifest %s: not an image manifest", md);
	}
	im->config = load_json(s, json_string_value(cfgd), err);
	if (!im->config) {
		json_decref(m);
		return -1;
	}
	snprintf(im->config_digest, sizeof im->config_digest, "%s", json_string_value(cfgd));
	im->layers = json_incref(layers);
	json_decref(m);
	json_t *diff_ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) != json_array_size(im->layers)) {
		image_free(im);
		return err_set(err, "image %s: config has %zu diff_ids for %zu layers", md,
			       json_array_size(diff_ids), json_array_size(layers));
	}
	for (size_t i = 0; i < json_array_size(im->layers); i++) {
		const char *d = image_layer_digest(im, i), *di = image_diff_id(im, i);
		if (!d || !di || !digest_valid(d) || !digest_valid(di)) {
			image_free(im);
			return err_set(err, "image %s: layer %zu has no valid digest", md, i);
		}
	}
	snprintf(im->manifest, sizeof im->manifest, "%s", md);
	return 0;
}

json_t *image_cfg(struct image *im)
{
	json_t *c = json_object_get(im->config, "config");
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(im->config, "config", c);
	}
	return c;
}

void image_history(struct image *im, const char *created_by, bool empty_layer, long long epoch)
{
	json_t *h = json_object_get(im->config, "history");
	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(im->config, "history", h);
	}
	char t[64];
	image_time(epoch, t, sizeof t);
	json_t *e = json_object();
	json_object_set_new(e, "created", json_string(t));
	json_object_set_new(e, "created_by", json_string(created_by));
	json_object_set_new(e, "comment", json_string("strata.dockerfile.v0"));
	if (empty_layer)
		json_object_set_new(e, "empty_layer", json_true());
	json_array_append_new(h, e);
}

void image_add_layer(struct image *im, const struct layer_digests *d)
{
	json_t *l = json_object();
	json_object_set_new(l, "mediaType", json_string(compress_media_type(d->method)));
	json_object_set_new(l, "digest", json_string(d->digest));
	json_object_set_new(l, "size", json_integer(d->size));
	json_array_append_new(im->layers, l);
	json_t *rootfs = json_object_get(im->config, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_object();
		json_object_set_new(rootfs, "type", json_string("layers"));
		json_object_set_new(im->config, "rootfs", rootfs);
	}
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		ids = json_array();
		json_object_set_new(rootfs, "diff_ids", ids);
	}
	json_array_append_new(ids, json_string(d->diff_id));
}

size_t image_nlayers(const struct image *im)
{
	return json_array_size(im->layers);
}

const char *image_layer_digest(const struct image *im, size_t i)
{
	return json_string_value(json_object_get(json_array_get(im->layers, i), "digest"));
}

const char *image_layer_type(const struct image *im, size_t i)
{
	const char *t = json_string_value(json_object_get(json_array_get(im->layers, i), "mediaType"));
	return t ? t : "application/vnd.oci.image.layer.v1.tar+gzip";
}

const char *image_diff_id(const struct image *im, size_t i)
{
	json_t *ids = json_object_get(json_object_get(im->config, "rootfs"), "diff_ids");
	return json_string_value(json_array_get(ids, i));
}

static int put_json(struct store *s, json_t *j, const char *what, char digest[DIGEST_SIZE], size_t *len,
		    struct error *err)
{
	char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		return err_set(err, "cannot serialise JSON");
	*len = strlen(text);
	/* an image no import (ours included) would take back is refused when it is made */
	if (*len > STORE_JSON_MAX) {
		free(text);
		return err_set(err, "the image %s would be %zu bytes, more than the %d a %s may have", what, *len,
			       STORE_JSON_MAX, what);
	}
	int r = store_blob_put(s, text, *len, digest, err);
	free(text);
	return r;
}

int image_save(struct store *s, struct image *im, long long epoch, struct error *err)
{
	char t[64];
	image_time(epoch, t, sizeof t);
	json_object_set_new(im->config, "created", json_string(t));
	size_t clen, mlen;
	if (put_json(s, im->config, "config", im->config_digest, &clen, err) < 0)
		return -1;
	json_t *m = json_object();
	json_object_set_new(m, "schemaVersion", json_integer(2));
	json_object_set_new(m, "mediaType", json_string("application/vnd.oci.image.manifest.v1+json"));
	json_t *c = json_object();
	json_object_set_new(c, "mediaType", json_string("application/vnd.oci.image.config.v1+json"));
	json_object_set_new(c, "digest", json_string(im->config_digest));
	json_object_set_new(c, "size", json_integer((json_int_t)clen));
	json_object_set_new(m, "config", c);
	json_object_set(m, "layers", im->layers);
	int r = put_json(s, m, "manifest", im->manifest, &mlen, err);
	json_decref(m);
	return r;
}

const char *image_env(struct image *im, const char *name)
{
	json_t *env = json_object_get(image_cfg(im), "Env");
	size_t n = strlen(name), i;
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *e = json_string_value(v);
		if (e && !strncmp(e, name, n) && e[n] == '=')
			return e + n + 1;
	}
	return NULL;
}

const char *image_get(struct image *im, const char *field)
{
	return json_string_value(json_object_get(image_cfg(im), field));
}

void image_set(struct image *im, const char *field, const char *value)
{
	if (value)
		json_object_set_new(image_cfg(im), field, json_string(value));
	else
		json_object_del(image_cfg(im), field);
}

void image_set_author(struct image *im, const char *author)
{
	json_object_set_new(im->config, "author", json_string(author));
}

void image_set_env(struct image *im, const char *k, const char *v)
{
	json_t *cfg = image_cfg(im);
	json_t *env = json_object_get(cfg, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	char *kv = xasprintf("%s=%s", k, v);
	size_t n = strlen(k), i;
	json_t *e;
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && !strncmp(s, k, n) && s[n] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* the object field of the config, created when missing */
static json_t *cfg_object(struct image *im, const char *field)
{
	json_t *cfg = image_cfg(im);
	json_t *o = json_object_get(cfg, field);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(cfg, field, o);
	}
	return o;
}

void image_map_set(struct image *im, const char *field, const char *key, const char *value)
{
	json_object_set_new(cfg_object(im, field), key, json_string(value));
}

void image_set_add(struct image *im, const char *field, const char *key)
{
	json_object_set_new(cfg_object(im, field), key, json_object());
}

void image_list_append(struct image *im, const char *field, const char *value)
{
	json_t *cfg = image_cfg(im);
	json_t *l = json_object_get(cfg, field);
	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(cfg, field, l);
	}
	json_array_append_new(l, json_string(value));
}

void image_set_list(struct image *im, const char *field, const char *const *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	json_object_set_new(image_cfg(im), field, arr);
}

size_t image_list(struct image *im, const char *field, struct arena *a, const char ***out)
{
	json_t *l = json_object_get(image_cfg(im), field);
	size_t n = json_array_size(l), i;
	json_t *v;
	*out = arena_alloc(a, (n + 1) * sizeof **out);
	json_array_foreach(l, i, v)
		(*out)[i] = json_string_value(v) ? arena_strdup(a, json_string_value(v)) : NULL;
	(*out)[n] = NULL;
	return n;
}

void image_set_command(struct image *im, const char *field, const char *const *args, size_t n, bool exec_form)
{
	json_t *cfg = image_cfg(im);
	json_t *arr = json_array();
	if (!exec_form) {
		json_t *shell = json_object_get(cfg, "Shell");
		if (json_is_array(shell) && json_array_size(shell)) {
			size_t i;
			json_t *v;
			json_array_foreach(shell, i, v)
				json_array_append(arr, v);
		} else {
			json_array_append_new(arr, json_string("/bin/sh"));
			json_array_append_new(arr, json_string("-c"));
		}
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(args[i]));
	json_object_set_new(cfg, field, arr);
}

void image_set_health(struct image *im, const char *const *test, size_t n, const long long durs[4], int retries)
{
	static const char *const names[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
	json_t *h = json_object(), *t = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(t, json_string(test[i]));
	json_object_set_new(h, "Test", t);
	for (size_t i = 0; durs && i < 4; i++)
		if (durs[i] > 0)
			json_object_set_new(h, names[i], json_integer(durs[i]));
	if (retries)
		json_object_set_new(h, "Retries", json_integer(retries));
	json_object_set_new(image_cfg(im), "Healthcheck", h);
}

int image_load_result(struct store *s, const char *text, struct image *im, struct error *err)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	const char *md = json_string_value(json_object_get(j, "manifest"));
	int r = md ? image_load(s, md, im, err) : err_set(err, "step result names no manifest");
	json_decref(j);
	return r;
}

char *image_result(const struct image *im)
{
	return xasprintf("{\"manifest\":\"%s\"}\n", im->manifest);
}

void image_platform(const struct image *im, const char **os, const char **arch, const char **variant)
{
	*os = json_string_value(json_object_get(im->config, "os"));
	*arch = json_string_value(json_object_get(im->config, "architecture"));
	*variant = json_string_value(json_object_get(im->config, "variant"));
}
