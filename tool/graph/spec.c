#include "spec.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "error.h"
#include "runmount.h"
#include "sandbox.h"
#include "util.h"

static json_t *strs(const char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int spec_write(const char *dir, const struct build_opts *o, long long epoch, struct error *err)
{
	json_t *j = json_object();
	json_object_set_new(j, "file", o->file ? json_string(o->file) : json_null());
	json_object_set_new(j, "context", json_string(o->context));
	json_object_set_new(j, "tags", strs(o->tags, o->ntags));
	json_object_set_new(j, "outputs", strs(o->outputs, o->noutputs));
	json_t *args = json_array();
	for (size_t i = 0; i < env_count(&o->build_args); i++) {
		json_t *kv = json_array();
		const char *v = env_value(&o->build_args, i);
		json_array_append_new(kv, json_string(env_name(&o->build_args, i)));
		json_array_append_new(kv, v ? json_string(v) : json_null());
		json_array_append_new(args, kv);
	}
	json_object_set_new(j, "build_args", args);
	json_object_set_new(j, "target", o->target ? json_string(o->target) : json_null());
	json_object_set_new(j, "platform", o->platform ? json_string(o->platform) : json_null());
	json_object_set_new(j, "epoch", json_integer(epoch));
	json_object_set_new(j, "labels", strs(o->labels, o->nlabels));
	json_object_set_new(j, "keep_modes", json_boolean(o->keep_modes));
	json_object_set_new(j, "drop_volatile", json_boolean(o->drop_volatile));
	json_object_set_new(j, "network", json_integer(o->network));
	json_object_set_new(j, "compression", json_string(compress_name(o->compression.method)));
	json_object_set_new(j, "compression_level", json_integer(o->compression.level));
	json_object_set_new(j, "allow_foreign_deflate", json_boolean(o->allow_foreign_deflate));
	/* the secrets' sources, never their values */
	json_t *secrets = json_array();
	for (size_t i = 0; i < o->nsecrets; i++) {
		json_t *sj = json_array();
		json_array_append_new(sj, json_string(o->secrets[i].id));
		json_array_append_new(sj, o->secrets[i].src ? json_string(o->secrets[i].src) : json_null());
		json_array_append_new(sj, o->secrets[i].env ? json_string(o->secrets[i].env) : json_null());
		json_array_append_new(secrets, sj);
	}
	json_object_set_new(j, "secrets", secrets);
	char *text = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(j);
	char *path = xasprintf("%s/spec.json", dir);
	int r = text && write_if_changed(path, text, strlen(text)) >= 0 ? 0 : err_sys(err, "%s", path);
	free(path);
	free(text);
	return r;
}

static const char *str(struct arena *a, json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	return s ? arena_strdup(a, s) : NULL;
}

static size_t list(struct arena *a, json_t *j, const char *k, const char ***out)
{
	json_t *arr = json_object_get(j, k);
	size_t n = json_array_size(arr);
	*out = arena_alloc(a, (n + 1) * sizeof **out);
	for (size_t i = 0; i < n; i++)
		(*out)[i] = arena_strdup(a, json_string_value(json_array_get(arr, i)) ?: "");
	return n;
}

int spec_read(struct arena *a, const char *dir, struct build_opts *o, long long *epoch, struct error *err)
{
	char *path = xasprintf("%s/spec.json", dir);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j || !json_is_string(json_object_get(j, "context"))) {
		err_set(err, "%s: %s (run strata gen again)", path, j ? "no context" : je.text);
		json_decref(j);
		free(path);
		return -1;
	}
	free(path);
	memset(o, 0, sizeof *o);
	o->file = str(a, j, "file");
	o->context = str(a, j, "context");
	o->target = str(a, j, "target");
	o->platform = str(a, j, "platform");
	o->ntags = list(a, j, "tags", &o->tags);
	o->noutputs = list(a, j, "outputs", &o->outputs);
	env_init(&o->build_args, a);
	size_t i;
	json_t *kv;
	json_array_foreach(json_object_get(j, "build_args"), i, kv) {
		const char *k = json_string_value(json_array_get(kv, 0));
		if (k)
			env_set(&o->build_args, k, json_string_value(json_array_get(kv, 1)));
	}
	*epoch = json_integer_value(json_object_get(j, "epoch"));
	o->nlabels = list(a, j, "labels", &o->labels);
	o->keep_modes = json_is_true(json_object_get(j, "keep_modes"));
	o->drop_volatile = json_is_true(json_object_get(j, "drop_volatile"));
	o->network = (enum sandbox_net)json_integer_value(json_object_get(j, "network"));
	o->allow_foreign_deflate = json_is_true(json_object_get(j, "allow_foreign_deflate"));
	o->compression.level = (int)json_integer_value(json_object_get(j, "compression_level"));
	const char *cm = json_string_value(json_object_get(j, "compression"));
	struct error cerr;
	if (cm && compress_parse(cm, &o->compression.method, &cerr) < 0) {
		err_set(err, "%s/spec.json: %s (run strata gen again)", dir, cerr.msg);
		json_decref(j);
		return -1;
	}
	json_t *secrets = json_object_get(j, "secrets");
	size_t n = json_array_size(secrets);
	struct run_secret *sec = arena_alloc(a, (n + 1) * sizeof *sec);
	for (i = 0; i < n; i++) {
		json_t *sj = json_array_get(secrets, i);
		const char *id = json_string_value(json_array_get(sj, 0));
		const char *src = json_string_value(json_array_get(sj, 1));
		const char *env = json_string_value(json_array_get(sj, 2));
		sec[i] = (struct run_secret){.id = arena_strdup(a, id ? id : ""), .src = src ? arena_strdup(a, src) : NULL,
					     .env = env ? arena_strdup(a, env) : NULL};
	}
	o->secrets = sec;
	o->nsecrets = n;
	json_decref(j);
	return 0;
}
