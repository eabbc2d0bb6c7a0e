# strata: `make` builds ./strata, `make check` runs the tests (plain and
# under ASan+UBSan), `make bench` the benchmarks, `make fuzz` the front-end
# fuzzer; V=1 shows commands, DEVELOPER=1 makes warnings errors.
-include config.mk
ifeq ($(DEP_LIBS),)
$(error run ./configure first (./configure --install-deps installs the libraries))
endif

PREFIX ?= /usr/local
VERSION = 0.1.0
CFLAGS ?= -O2 -g
# warnings stop the build only for developers and CI (make DEVELOPER=1): a newer compiler's new
# warning must not break a user's build
WARN = -Wall -Wextra -Wno-unused-parameter
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
# one folder per stage of the data flow (README: where things are); headers by bare name
TOOLDIRS = $(sort $(dir $(wildcard tool/*/*.c)))
INC = -Itool $(TOOLDIRS:%/=-I%)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DSTRATA_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) $(DEP_CFLAGS) $(INC)
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q =
else
Q = @
endif

SRC = $(sort $(wildcard tool/*.c tool/*/*.c))
LIBSRC = $(filter-out tool/cmd/main.c,$(SRC))
HDR = $(wildcard tool/*.h tool/*/*.h)
OBJ = $(SRC:tool/%.c=build/%.o)
LIBOBJ = $(LIBSRC:tool/%.c=build/%.o)
SANOBJ = $(SRC:tool/%.c=build/san/%.o)
SANLIBOBJ = $(LIBSRC:tool/%.c=build/san/%.o)
TESTS = $(patsubst tests/%.c,%,$(filter-out tests/fuzz_front.c,$(wildcard tests/*.c)))

all: strata

# a configure that changed (a new library) rewrites config.mk, and make restarts with it
config.mk: configure
	./configure --prefix=$(PREFIX) CC=$(CC)

strata: $(OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(DEP_LIBS)

build/%.o: tool/%.c $(HDR) config.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: tool/%.c $(HDR) config.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC san  $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/strata-san: $(SANOBJ)
	@$(if $(Q),echo "  LD san  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(SANOBJ) $(DEP_LIBS)

build/test-%: tests/%.c tests/check.h tests/conf.h $(LIBOBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBOBJ) $(DEP_LIBS)

build/san/test-%: tests/%.c tests/check.h tests/conf.h $(SANLIBOBJ)
	@$(if $(Q),echo "  LD san  $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -Itests -o $@ $< $(SANLIBOBJ) $(DEP_LIBS)

testbins: strata $(TESTS:%=build/test-%)
sanbins: build/strata-san $(TESTS:%=build/san/test-%)

# the whole suite, then again under ASan+UBSan
check: testbins sanbins
	$(Q)rm -f build/summary
	$(Q)STRATA_SUMMARY=$(CURDIR)/build/summary STRATA=$(CURDIR)/strata TESTBIN=$(CURDIR)/build \
	sh tests/run plain && \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	STRATA_SUMMARY=$(CURDIR)/build/summary STRATA=$(CURDIR)/build/strata-san TESTBIN=$(CURDIR)/build/san \
	STRATA_SAN=1 sh tests/run asan+ubsan && \
	awk '{p += $$1; f += $$2; s += $$3} END {printf "total: %d passed, %d failed, %d skipped\n", p, f, s}' \
	build/summary

# the suite once, without sanitizers (quicker while working)
test: testbins
	$(Q)STRATA=$(CURDIR)/strata TESTBIN=$(CURDIR)/build sh tests/run plain

FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 $(DEP_CFLAGS) $(INC) -fsanitize=fuzzer,address,undefined
build/fuzz-front: tests/fuzz_front.c $(LIBSRC) $(HDR)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ tests/fuzz_front.c $(LIBSRC) $(DEP_LIBS)

# make fuzz FUZZ_SECONDS=600
fuzz: build/fuzz-front
	sh bench/fuzz $(or $(FUZZ_SECONDS),60)

# every benchmark in bench/, each printing its ratios against a peer; BENCH="layer parse" picks some
bench: strata
	$(Q)STRATA=$(CURDIR)/strata sh bench/all $(BENCH)

install: strata
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 strata $(DESTDIR)$(PREFIX)/bin/strata
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0644 strata.1 $(DESTDIR)$(PREFIX)/share/man/man1/strata.1
	install -m 0644 completions/strata.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/strata
	install -m 0644 completions/_strata $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_strata

clean:
	rm -rf build strata

.PHONY: all check test testbins sanbins fuzz bench install clean
.DELETE_ON_ERROR:
