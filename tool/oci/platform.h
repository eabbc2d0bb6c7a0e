#ifndef STRATA_PLATFORM_H
#define STRATA_PLATFORM_H
/* Platforms as containerd's platforms package parses and normalises them:
   os/arch[/variant], x86_64 -> amd64, aarch64 and arm64/v8 -> arm64,
   armhf -> arm/v7, i386 -> 386; strata builds linux images only. */
struct error;

enum { PLATFORM_MAX = 128 };

/* parse and normalise s into out ("linux/arm/v7"); 0, or -1 with err naming what is wrong */
int platform_normalize(const char *s, char out[PLATFORM_MAX], struct error *err);
/* the host's platform, normalised ("linux/amd64", "linux/arm/v7"); an unknown machine keeps
   uname's name as its architecture */
const char *platform_host(void);
/* 1 when the image's os, architecture and variant (NULL or "" when absent) are the platform p
   (normalised); an absent variant matches any */
int platform_matches(const char *p, const char *os, const char *arch, const char *variant);

#endif
