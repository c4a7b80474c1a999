# `make bench`: the engine micro-benchmark, then a short side-by-side run of ringstat and every
# peer that is installed (perf/compare.sh; a peer that is not installed is skipped with a line
# saying so). Included by the Makefile, which provides BUILD_DIR and the deps/build targets.
# Longer runs: make bench BENCH_COUNTERS=1000000 BENCH_DURATION=60; peers: perf/compare.sh
# --install-peers.

BENCH_COUNTERS    ?= 100000
BENCH_DURATION    ?= 10
BENCH_RATE        ?= max
BENCH_CONNECTIONS ?= 4
BENCH_SERVERS     ?= ringstat,victoria-metrics,carbon,influxdb
# Empty: the JSON of every run is deleted after the table is printed.
BENCH_JSON_DIR    ?=

bench: deps build
	$(BUILD_DIR)/perf/engine_bench
	BUILD_DIR=$(abspath $(BUILD_DIR)) perf/compare.sh --counters $(BENCH_COUNTERS) \
	  --duration $(BENCH_DURATION) --rate $(BENCH_RATE) --connections $(BENCH_CONNECTIONS) \
	  --servers $(BENCH_SERVERS) $(if $(BENCH_JSON_DIR),--json-dir $(BENCH_JSON_DIR))
