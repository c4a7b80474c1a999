# ringstat: the two commands a newcomer needs are `make run` and `make test` (see README.md).
BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
NINJA_JOBS     ?= $(shell nproc)

# Debian 12 packages the build, the tests and the benchmarks need.
DEB_PACKAGES = g++ meson ninja-build pkg-config cmake liburing-dev libmimalloc-dev doctest-dev \
               libcli11-dev libbenchmark-dev zlib1g-dev libxxhash-dev

.PHONY: all deps build build-asan test bench run clean format

all: build

# Installs only what is missing; safe to run again.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
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
	meson setup $(ASAN_BUILD_DIR) --buildtype=debugoptimized -Db_sanitize=address,undefined \
	  -Db_lundef=false

build: $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(NINJA_JOBS)

build-asan: $(ASAN_BUILD_DIR)/build.ninja
	ninja -C $(ASAN_BUILD_DIR) -j $(NINJA_JOBS)

# Every test, release build and ASan+UBSan build; the last line is `N passed, N failed`.
test: deps
	@$(MAKE) --no-print-directory build build-asan
	@tests/run_tests.sh $(BUILD_DIR) $(ASAN_BUILD_DIR)

bench: deps build
	$(BUILD_DIR)/perf/engine_bench

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
