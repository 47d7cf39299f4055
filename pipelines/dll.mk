# dll.mk — deep layer-wise learning against full backpropagation (thesis
# ch. 6, Tables 6.1-6.3; issue 12) on centred MNIST and Fashion-MNIST.
#   make -f pipelines/dll.mk dll          run the configurations missing from
#                                         pipelines/results/dll-runs.tsv, then
#                                         the table and the plots
#   make -f pipelines/dll.mk dll-report   the table and plots from the TSV
#   make -f pipelines/dll.mk dll E=30 SEEDS="1 2" ARCHS=512-512-512
#   make -f pipelines/dll.mk dll VARIANTS="rr-lb rr-lb+drop"   more variants
# TOOLS_COMMIT=SHA names the commit the tools in BINDIR were built from.
# Results: pipelines/results/dll.md, dll-runs.tsv, dll-*.png.

BINDIR ?= $(CURDIR)/bin
OUT   ?= build/dll
DATA  ?= data
E      ?= 20
ROUNDS ?= 4
SEEDS  ?= 1
ARCHS  ?= 512-512-512 392-50
SETS   ?= mnist fashion
VARIANTS ?= bp bu bu+drop rr rr+drop
export PATH := $(BINDIR):$(PATH)
# one core per job: the machine is shared (and the bytes depend on it)
export OPENBLAS_NUM_THREADS := 1
export E ROUNDS SEEDS ARCHS SETS VARIANTS

.PHONY: dll dll-report dll-data deps
dll: deps dll-data
	sh pipelines/dll-experiment.sh $(OUT)

dll-report: deps
	sh pipelines/dll-experiment.sh --report

deps:
	@sh pipelines/deps.sh pipelines

dll-data: $(OUT)/mnist.test.nns $(OUT)/fashion.test.nns

$(DATA)/mnist/.ok:
	@$(MAKE) --no-print-directory -f pipelines/data.mk mnist
$(DATA)/fashion/.ok:
	@$(MAKE) --no-print-directory -f pipelines/data.mk fashion

# pixels in [0,1] minus the training set's means (as pipelines/kfilter.sh
# prepares them)
define prepare
	@mkdir -p $(OUT)
	nn-import --scale 1/255 $(2) $(3) > $(OUT)/$(1).raw.nns
	nn-standardize --fit $(OUT)/$(1).raw.nns > $(OUT)/$(1).means.nns
	nn-standardize --center --stats $(OUT)/$(1).means.nns $(OUT)/$(1).raw.nns > $(OUT)/$(1).train.nns
	nn-import --scale 1/255 $(4) $(5) | \
	    nn-standardize --center --stats $(OUT)/$(1).means.nns > $(OUT)/$(1).test.nns
	rm -f $(OUT)/$(1).raw.nns
endef

$(OUT)/mnist.test.nns: $(DATA)/mnist/.ok
	$(call prepare,mnist,$(DATA)/mnist/train-images-idx3-ubyte,$(DATA)/mnist/train-labels-idx1-ubyte,$(DATA)/mnist/t10k-images-idx3-ubyte,$(DATA)/mnist/t10k-labels-idx1-ubyte)

$(OUT)/fashion.test.nns: $(DATA)/fashion/.ok
	$(call prepare,fashion,$(DATA)/fashion/train-images-idx3-ubyte.gz,$(DATA)/fashion/train-labels-idx1-ubyte.gz,$(DATA)/fashion/t10k-images-idx3-ubyte.gz,$(DATA)/fashion/t10k-labels-idx1-ubyte.gz)
