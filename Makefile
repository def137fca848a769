# otlp2parquet. `make` builds build/otlp2parquet; `make run` starts the server on ./data;
# `make test` runs every test (unit tests under ASan+UBSan, fuzz smoke runs, end-to-end tests).

CC      ?= cc
VERSION := $(shell cat VERSION)
BUILD_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE
# only src/util/version.c sees these, so a new commit recompiles one file
VERSION_DEFS := -DOTLP2PARQUET_VERSION='"$(VERSION)"' -DOTLP2PARQUET_BUILD='"$(BUILD_ID)"'
CFLAGS_COMMON := -std=c11 $(WARN) $(DEFS) -Isrc -MMD -MP
LIBS    := -lmicrohttpd -lcurl -ljansson -lcrypto -lzstd -lsnappy -lz -lpthread -lm

SRCS     := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))

# release build
REL_DIR   := build/obj
REL_OBJS  := $(SRCS:%.c=$(REL_DIR)/%.o)
REL_FLAGS := $(CFLAGS_COMMON) -O2 -g

# sanitizer build: the binary the end-to-end tests run, and the unit tests
SAN_DIR   := build/asan
SAN_FLAGS := $(CFLAGS_COMMON) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_OBJS  := $(SRCS:%.c=$(SAN_DIR)/obj/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(SAN_DIR)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(SAN_DIR)/tests/%)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=build/tools/%)

# fuzz targets: clang + libFuzzer
FUZZ_CC    := clang
FUZZ_DIR   := build/fuzz
FUZZ_FLAGS := $(CFLAGS_COMMON) -O1 -g -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)

# Lambda packages: `make lambda-zip ARCH=arm64|x86_64` (arm64, the deployment default, unless told)
# writes dist/otlp2parquet-lambda-linux-<arch>.zip: `bootstrap` (this program, built for size and
# stripped) with every shared library it needs and the dynamic loader, made by
# scripts/lambda-zip.sh. Objects go to build/aarch64/ and build/x86_64/; both arches are built
# with Debian's <triple>-gcc, arm64 as a cross build against the arm64 (multiarch) -dev packages.
ARCH ?= arm64
LAMBDA_M_arm64  := aarch64
LAMBDA_M_x86_64 := x86_64
LAMBDA_M    := $(LAMBDA_M_$(ARCH))
LAMBDA_CC   := $(LAMBDA_M)-linux-gnu-gcc
LAMBDA_DIR  := build/$(LAMBDA_M)
LAMBDA_FLAGS := $(CFLAGS_COMMON) -Os -ffunction-sections -fdata-sections
LAMBDA_OBJS := $(SRCS:%.c=$(LAMBDA_DIR)/obj/%.o)
LAMBDA_ZIP  := dist/otlp2parquet-lambda-linux-$(ARCH).zip

.DEFAULT_GOAL := all
# `make V=1` shows the full compiler command lines
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

# version.o is rebuilt whenever the version or the commit changes
VERSION_STAMP := build/version.stamp
$(shell mkdir -p build; echo '$(VERSION_DEFS)' | cmp -s - $(VERSION_STAMP) || echo '$(VERSION_DEFS)' > $(VERSION_STAMP))
VERSION_OBJS := $(REL_DIR)/src/util/version.o $(SAN_DIR)/obj/src/util/version.o $(FUZZ_DIR)/obj/src/util/version.o \
                build/aarch64/obj/src/util/version.o build/x86_64/obj/src/util/version.o
$(VERSION_OBJS): $(VERSION_STAMP)
$(VERSION_OBJS): EXTRA_DEFS := $(VERSION_DEFS)

.PHONY: all run test deps test-deps unit fuzz fuzz-smoke e2e tools clean lambda-zip lambda-bootstrap bench
all: build/otlp2parquet

build/otlp2parquet: $(REL_OBJS)
	$(call say,LINK,$@)
	$(Q)$(CC) $(REL_FLAGS) -o $@ $^ $(LIBS)

$(REL_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(REL_FLAGS) $(EXTRA_DEFS) -c -o $@ $<

$(SAN_DIR)/otlp2parquet: $(SAN_OBJS)
	$(call say,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

$(SAN_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(SAN_FLAGS) $(EXTRA_DEFS) -c -o $@ $<

$(SAN_DIR)/tests/%: tests/unit/%.c tests/unit/check.h $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(SAN_FLAGS) -Itests/unit -o $@ $< $(SAN_LIB_OBJS) $(LIBS)

build/tools/%: tests/tools/%.c $(filter-out $(REL_DIR)/src/main.o,$(REL_OBJS))
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(REL_FLAGS) -o $@ $< $(filter-out $(REL_DIR)/src/main.o,$(REL_OBJS)) $(LIBS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(EXTRA_DEFS) -c -o $@ $<

$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)

lambda-zip:
ifeq ($(LAMBDA_M),)
	$(error ARCH must be arm64 or x86_64, not '$(ARCH)')
endif
	@scripts/ensure-deps.sh lambda-$(ARCH)
	@$(MAKE) --no-print-directory -j$(shell nproc) ARCH=$(ARCH) lambda-bootstrap
	$(call say,ZIP,$(LAMBDA_ZIP))
	$(Q)scripts/lambda-zip.sh $(ARCH) $(LAMBDA_DIR)/otlp2parquet $(LAMBDA_ZIP)

lambda-bootstrap: $(LAMBDA_DIR)/otlp2parquet

$(LAMBDA_DIR)/otlp2parquet: $(LAMBDA_OBJS)
	$(call say,LINK,$@)
	$(Q)$(LAMBDA_CC) $(LAMBDA_FLAGS) -Wl,--gc-sections -s -o $@ $^ $(LIBS)

build/aarch64/obj/%.o build/x86_64/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(LAMBDA_CC) $(LAMBDA_FLAGS) $(EXTRA_DEFS) -c -o $@ $<

deps:
	@scripts/ensure-deps.sh build

test-deps:
	@scripts/ensure-deps.sh test

run: deps
	@$(MAKE) --no-print-directory build/otlp2parquet
	./build/otlp2parquet serve

tools: $(TOOL_BINS)
fuzz: $(FUZZ_BINS)

# The whole suite; the last line it prints is "N passed, N failed".
test: test-deps
	@$(MAKE) --no-print-directory -j$(shell nproc) build/otlp2parquet $(SAN_DIR)/otlp2parquet $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_BINS)
	@scripts/run-tests.sh

# Benchmarks against the upstream Rust otlp2parquet 0.12.0 (built once into the cache), see
# docs/performance.md. Not part of `make test`. BENCH_SCALE=10 for a bigger run; BENCH_REPEAT,
# BENCH_CONNS, BENCH_BATCH_ROWS, BENCH_UPSTREAM=none, BENCH_WORKLOADS: see bench/run.py.
BENCH_PY ?= $(or $(wildcard $(HOME)/.cache/otlp2parquet/venv/bin/python),python3)
build/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -o $@ $< -lpthread

bench: test-deps
	@bench/ensure-upstream.sh
	@$(MAKE) --no-print-directory build/otlp2parquet build/bench/loadgen
	@$(BENCH_PY) bench/run.py

clean:
	rm -rf build dist

-include $(shell find build -name '*.d' 2>/dev/null)
