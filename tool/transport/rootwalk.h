#ifndef STRATA_ROOTWALK_H
#define STRATA_ROOTWALK_H
/* The files of a root filesystem as layer entries (sockets skipped, as docker does): what
   `import rootfs:DIR` makes a layer of and `export rootfs:FILE.tar` writes as a tar. */
#include <stddef.h>
#include <sys/types.h>

#include "map.h"

struct error;
struct layer_entry;

struct rootwalk {
	struct arena *a;
	struct layer_entry *e;
	size_t n, cap;
	struct map links;  /* files with more links: (dev, ino) -> their hardlink_key */
};

/* walk dir into w (zeroed first) in readdir order, giving the paths of one inode one hardlink_key;
   e->src is the file's path; 0 or -1 with err (rootwalk_free w in both cases) */
int rootwalk_read(struct rootwalk *w, const char *dir, struct error *err);
/* free what w holds ({0} is fine) */
void rootwalk_free(struct rootwalk *w);

#endif
