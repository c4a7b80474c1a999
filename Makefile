# ringstat: the two commands a newcomer needs are `make run` and `make test` (see README.md).
BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
FUZZ_BUILD_DIR ?= build-fuzz
# Seconds per fuzz target: `make fuzz`, and `make test` after every corpus input once.
FUZZ_SECONDS      ?= 300
FUZZ_TEST_SECONDS ?= 5
NINJA_JOBS     ?= $(shell nproc)

# Debian 12 packages the build, the tests and the benchmarks need.
DEB_PACKAGES = g++ meson ninja-build pkg-config cmake liburing-dev libmimalloc-dev doctest-dev \
               libcli11-dev libbenchmark-dev zlib1g-dev libxxhash-dev nlohmann-json3-dev python3 \
               netcat-openbsd e2fsprogs clang-format-14
# clang and its ASan/UBSan/libFuzzer runtimes, for the fuzz targets (fuzz/README.md).
DEB_FUZZ_PACKAGES = clang-14 libclang-rt-14-dev

.PHONY: all deps build build-asan build-fuzz test fuzz soak bench run clean format

# Ports of `make run`: istatd's server defaults for stat and HTTP, Graphite's usual 2003.
RUN_STAT_PORT     ?= 18001
RUN_GRAPHITE_PORT ?= 2003
RUN_HTTP_PORT     ?= 18011
RUN_ADMIN_PORT    ?= 18031

all: build

# Installs only what is missing; safe to run again.
deps:
	@missing=$$(for p in $(DEB_PACKAGES) $(DEB_FUZZ_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root to install packages" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD_DIR)/build.ninja:
	meson setup $(BUILD_DIR) --buildtype=release

$(ASAN_BUILD_DIR)/build.ninja:
	meson setup $(ASAN_BUILD_DIR) --buildtype=plain -Doptimization=1 -Ddebug=false \
	  -Db_sanitize=address,undefined -Db_lundef=false

# clang, not gcc: libFuzzer and its coverage instrumentation are clang's (fuzz/README.md).
$(FUZZ_BUILD_DIR)/build.ninja:
	CXX=clang++-14 meson setup $(FUZZ_BUILD_DIR) -Dfuzz=true --buildtype=plain -Doptimization=1 \
	  -Ddebug=true -Db_sanitize=address,undefined -Db_lundef=false

build: $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(NINJA_JOBS)

# Only the unit-test executables (the `unit_tests` alias of tests/meson.build): the wire tests
# run against the release build's daemon.
build-asan: $(ASAN_BUILD_DIR)/build.ninja
	ninja -C $(ASAN_BUILD_DIR) -j $(NINJA_JOBS) unit_tests

# Only the fuzz targets (alias `fuzz`) and the few objects they link.
build-fuzz: $(FUZZ_BUILD_DIR)/build.ninja
	ninja -C $(FUZZ_BUILD_DIR) -j $(NINJA_JOBS) fuzz

# Every test, release build, ASan+UBSan build and each fuzz target briefly over its corpus; the
# last line is `N passed, N failed`.
test: deps
	@$(MAKE) --no-print-directory build build-asan build-fuzz
	@RINGSTAT_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) \
	  tests/run_tests.sh $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR)

# Each fuzz target for FUZZ_SECONDS, growing and then minimising fuzz/corpus/<target>; findings
# land in $(FUZZ_BUILD_DIR)/crashes/<target>/ (fuzz/README.md).
fuzz: deps build-fuzz
	@status=0; for target in $$(fuzz/run.sh targets); do \
	  fuzz/run.sh explore $(FUZZ_BUILD_DIR) $$target $(FUZZ_SECONDS) || status=1; \
	done; exit $$status

# The kill -9 crash loop of the wire tests at length: 1000 cycles on one store (about 15 minutes);
# the seed is printed, RINGSTAT_CRASH_SEED=<seed> replays it.
SOAK_CYCLES ?= 1000
soak: deps build
	cd tests/wire && RINGSTAT_BINARY=../../$(BUILD_DIR)/cmd/ringstat RINGSTAT_CRASH_CYCLES=$(SOAK_CYCLES) \
	  python3 -m unittest -v test_crash_loop

# Builds and runs the daemon in the foreground with a store under ./data; Ctrl-C stops it cleanly.
run: deps build
	@mkdir -p data
	@echo "ringstat: store ./data, logs below. Try, from another terminal:"
	@echo "  echo \"web.latency 42\" | nc -q1 127.0.0.1 $(RUN_STAT_PORT)        # istatd line protocol (TCP or UDP)"
	@echo "  echo \"web.latency 42 \$$(date +%s)\" | nc -q1 127.0.0.1 $(RUN_GRAPHITE_PORT)  # Graphite plaintext"
	@echo "  curl 127.0.0.1:$(RUN_HTTP_PORT)/web.latency                      # buckets of the last 15 minutes"
	@echo "  curl '127.0.0.1:$(RUN_HTTP_PORT)/?q=*'                           # every counter"
	@echo "  curl 127.0.0.1:$(RUN_HTTP_PORT)/metrics                          # the daemon's own metrics"
	@echo "  echo stats | nc -q1 127.0.0.1 $(RUN_ADMIN_PORT)                   # admin commands (help, flush, ...)"
	$(BUILD_DIR)/cmd/ringstat serve --store ./data --listen-address 127.0.0.1 \
	  --stat-port $(RUN_STAT_PORT) --graphite-port $(RUN_GRAPHITE_PORT) \
	  --http-port $(RUN_HTTP_PORT) --admin-port $(RUN_ADMIN_PORT)

# `make bench`: perf/bench.mk (the engine micro-benchmark, then perf/compare.sh).
include perf/bench.mk

# The pinned formatter; tests/check_format.sh fails `make test` on any difference.
format:
	clang-format-14 -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR)
