# bench.mk — the benchmarks: make bench (or make -f bench/bench.mk after make).
# Each benchmark prints a Markdown report and writes it to bench/results/.
# BENCH_RUNS=N sets hyperfine's minimum number of runs (default 5);
# BENCH_Z19=0 skips the slow zstd level 19 import.

.PHONY: all stream forward fit kfilter train lap quantize spectrum deps data

all: stream forward fit kfilter train lap quantize spectrum

deps:
	@sh pipelines/deps.sh bench

# MNIST is required; Fashion-MNIST is used when it can be had.
data: deps
	@$(MAKE) -s --no-print-directory -f pipelines/data.mk mnist
	@$(MAKE) -s --no-print-directory -f pipelines/data.mk fashion || \
	    echo "bench.mk: no Fashion-MNIST, its import is skipped" >&2

stream: deps data
	@sh bench/stream.sh

forward: deps data
	@sh bench/forward.sh

fit: deps data
	@sh bench/fit.sh

kfilter: deps data
	@sh bench/kfilter.sh

train: deps data
	@sh bench/train.sh

lap: deps
	@sh bench/lap.sh

# QUANT_NET=FILE: a trained 784-392-50-10 network (pipelines/quant-ch3.sh's)
quantize: deps
	@sh bench/quantize.sh

spectrum: deps data
	@sh bench/spectrum.sh
