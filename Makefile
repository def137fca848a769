# otlp2parquet. `make` builds build/otlp2parquet; `make run` starts the server on ./data;
# `make test` runs every test (unit tests under ASan+UBSan, fuzz smoke runs, end-to-end tests).

CC      ?= cc
VERSION := $(shell cat VERSION)
BUILD_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE -DOTLP2PARQUET_VERSION='"$(VERSION)"' -DOTLP2PARQUET_BUILD='"$(BUILD_ID)"'
CFLAGS_COMMON := -std=c11 $(WARN) $(DEFS) -Isrc -MMD -MP
LIBS    := -lmicrohttpd -lzstd -lsnappy -lz -lpthread -lm

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

.PHONY: all run test deps test-deps unit fuzz fuzz-smoke e2e tools clean
all: build/otlp2parquet

build/otlp2parquet: $(REL_OBJS)
	$(CC) $(REL_FLAGS) -o $@ $^ $(LIBS)

$(REL_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) -c -o $@ $<

$(SAN_DIR)/otlp2parquet: $(SAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

$(SAN_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -c -o $@ $<

$(SAN_DIR)/tests/%: tests/unit/%.c tests/unit/check.h $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -Itests/unit -o $@ $< $(SAN_LIB_OBJS) $(LIBS)

build/tools/%: tests/tools/%.c $(filter-out $(REL_DIR)/src/main.o,$(REL_OBJS))
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) -o $@ $< $(filter-out $(REL_DIR)/src/main.o,$(REL_OBJS)) $(LIBS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)

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

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
