#ifndef STRATA_IMAGE_H
#define STRATA_IMAGE_H
/* An image being built: its OCI config and its manifest's layer list, kept
   as jansson objects, saved to the store as canonical JSON (sorted keys,
   compact) so the same image always has the same digests. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

struct arena;
struct error;
struct layer_digests;
struct store;

struct image {
	json_t *config;                 /* the OCI image config */
	json_t *layers;                 /* the manifest's layer descriptors */
	char manifest[DIGEST_SIZE];     /* set by image_save and image_load, "" when unsaved */
	char config_digest[DIGEST_SIZE];
};

/* an empty image for platform os/arch[/variant] */
void image_scratch(struct image *im, const char *platform);
/* load the image of manifest digest md (an OCI or docker v2 manifest), verifying blobs */
int image_load(struct store *s, const char *md, struct image *im, struct error *err);
/* a deep copy */
void image_copy(struct image *dst, const struct image *src);
void image_free(struct image *im);
/* the config's "config" object (Env, Cmd, ...), created when missing */
json_t *image_cfg(struct image *im);
/* append a history entry created at epoch */
void image_history(struct image *im, const char *created_by, bool empty_layer, long long epoch);
/* append a layer to the manifest and its diff_id to rootfs.diff_ids */
void image_add_layer(struct image *im, const struct layer_digests *d);
/* the number of layers, and the blob digest, diff_id and media type of layer i */
size_t image_nlayers(const struct image *im);
const char *image_layer_digest(const struct image *im, size_t i);
const char *image_diff_id(const struct image *im, size_t i);
const char *image_layer_type(const struct image *im, size_t i);
/* write config and manifest blobs (created = epoch); sets im->manifest */
int image_save(struct store *s, struct image *im, long long epoch, struct error *err);
/* the image's os, architecture and variant (NULL when absent) */
void image_platform(const struct image *im, const char **os, const char **arch, const char **variant);
/* the value of NAME in the config's Env, or NULL */
const char *image_env(struct image *im, const char *name);
/* config edits, so no caller below the format touches JSON: */
/* the string config field (WorkingDir, User, ...), or NULL when unset or no string */
const char *image_get(struct image *im, const char *field);
/* set a string config field; value NULL removes the field */
void image_set(struct image *im, const char *field, const char *value);
/* the author of the image (MAINTAINER) */
void image_set_author(struct image *im, const char *author);
/* set NAME=VALUE in Env, replacing NAME's entry in place or appending */
void image_set_env(struct image *im, const char *name, const char *value);
/* set key to value in the string map field (Labels) */
void image_map_set(struct image *im, const char *field, const char *key, const char *value);
/* add key to the set field (ExposedPorts, Volumes: an object of empty objects) */
void image_set_add(struct image *im, const char *field, const char *key);
/* append a string to the list field (OnBuild) */
void image_list_append(struct image *im, const char *field, const char *value);
/* replace the list field (Shell) with v[0..n) */
void image_set_list(struct image *im, const char *field, const char *const *v, size_t n);
/* the strings of the list field (Env, OnBuild) as an arena array (a non-string entry is NULL);
   their count */
size_t image_list(struct image *im, const char *field, struct arena *a, const char ***out);
/* set Cmd or Entrypoint: the exec form as is, the shell form through the config's Shell
   (default /bin/sh -c) */
void image_set_command(struct image *im, const char *field, const char *const *args, size_t n, bool exec_form);
/* set the Healthcheck: Test = test[0..n); durations in ns (interval, timeout, start period, start
   interval) and retries are written when positive */
void image_set_health(struct image *im, const char *const *test, size_t n, const long long durs[4], int retries);
/* the manifest a step result's text names, loaded; -1 with err when unreadable */
int image_load_result(struct store *s, const char *text, struct image *im, struct error *err);
/* the step result text of a saved image (malloc'd) */
char *image_result(const struct image *im);
/* RFC 3339 UTC time of t into buf */
void image_time(long long t, char *buf, size_t size);

#endif
