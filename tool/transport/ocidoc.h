#ifndef STRATA_OCIDOC_H
#define STRATA_OCIDOC_H
/* The JSON documents of an image as the transports read them from outside (media types,
   descriptors, manifests, configs): small regular files, parsed and checked before use. */
#include <jansson.h>
#include <stddef.h>

struct error;

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define REF_NAME "org.opencontainers.image.ref.name"
/* how every document strata writes is serialised */
#define JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

/* "WHAT: truncated: GOT of WANT bytes" or "WHAT: size GOT, want WANT" into err; -1 */
int ocidoc_size_error(struct error *err, const char *what, long long got, long long want);
/* a whole small regular file (no symlink, fifo or device, at most STORE_JSON_MAX bytes), its size
   checked against want (-1: any); malloc'd, NUL-terminated, length to *len; NULL with err */
char *ocidoc_read(const char *path, const char *what, long long want, size_t *len, struct error *err);
/* the len bytes at p as a JSON object; NULL with err naming what */
json_t *ocidoc_parse(const char *p, size_t len, const char *what, struct error *err);
/* a descriptor's media type ("" when absent), digest and size; -1 with err when malformed */
int ocidoc_desc(json_t *desc, const char *what, const char **mt, const char **digest, long long *size,
		struct error *err);
/* 1 when mt names an image manifest (OCI or docker) */
int ocidoc_is_manifest(const char *mt);
/* the config's rootfs.diff_ids, checked to be n digests; NULL with err */
json_t *ocidoc_diff_ids(json_t *config, size_t n, const char *what, struct error *err);

#endif
