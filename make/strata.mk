# make/strata.mk: image targets for an existing Makefile (GNU Make 3.81 or later; nothing here
# relies on Make's built-in rules). After
#
#     include path/to/strata.mk
#     $(eval $(call strata_image,NAME,DOCKERFILE,CONTEXT,OUTPUT[,MORE FLAGS]))
#
# `make strata-NAME` builds the image DOCKERFILE describes from CONTEXT and writes it to OUTPUT
# (oci-archive:FILE, docker-archive:FILE or oci:DIR; empty: the store only). MORE FLAGS are
# strata build's (--target STAGE, -t NAME, --build-arg K=V, --platform OS/ARCH, --input PATH).
# Each instruction is a target of its own, so only what changed runs, `make -j` builds what is
# independent in parallel, and a COPY of a file another rule of the same Makefile makes (a
# compiled binary) waits for that rule. The graph lives in $(STRATA_DIR)/NAME.mk and regenerates
# itself when the Dockerfile, the .dockerignore, a base image or strata itself changes.
# V=1 shows the commands; STRATA names the strata binary.
# Every generated graph cancels GNU Make's built-in match-anything rules (%: %.c, %: %.o and the
# other one-suffix rules, %:: RCS/%,v and the SCCS ones): Make would otherwise search them for
# each source file a depfile names, which made a 1,000-step no-change run 5x slower. The suffix
# rules stay (%.o: %.c still compiles), but a program made straight from one source file
# (`make prog` from prog.c with no rule for prog) needs a rule of its own.
STRATA ?= strata
STRATA_DIR ?= .strata
.DELETE_ON_ERROR:

# the generated file holds its own regeneration rule: this one only makes it the first time
define strata_image
ifeq ($$(wildcard $$(STRATA_DIR)/$(strip $(1)).mk),)
$$(STRATA_DIR)/$(strip $(1)).mk:
	$$(STRATA) gen --make $$@ --builddir $$(STRATA_DIR)/$(strip $(1)) -f $(strip $(2))$(if $(strip $(4)), -o $(strip $(4))) $(5) $(strip $(3))
endif
include $$(STRATA_DIR)/$(strip $(1)).mk
endef
