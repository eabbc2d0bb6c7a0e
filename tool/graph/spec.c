#include "spec.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
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
	json_decref(j);
	return 0;
}
