#ifndef STRATA_IMAGE_H
#define STRATA_IMAGE_H
/* An image being built: its OCI config and its manifest's layer list, kept
   as jansson objects, saved to the store as canonical JSON (sorted keys,
   compact) so the same image always has the same digests. */
#include <jansson.h>
#include <stdbool.h>

#include "digest.h"

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
/* the value of NAME in the config's Env, or NULL */
const char *image_env(struct image *im, const char *name);
/* RFC 3339 UTC time of t into buf */
void image_time(long long t, char *buf, size_t size);

#endif
