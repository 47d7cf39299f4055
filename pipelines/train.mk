# train.mk — the thesis's MNIST experiments with gradient training (issue 12).
#   make -f pipelines/train.mk baseline   the SGD baseline of ch. 7.9.1
#                                         (784-392-50-10, 98.12% test)
#   make -f pipelines/train.mk table41    Table 4.1 and the gradient
#                                         amplification of ch. 4: six output
#                                         heads, fixed tuned rates
#   make -f pipelines/train.mk table41 REUSE=1   only the page and the plots,
#                                         from the recorded runs
# SEEDS, EPOCHS (table41) and OUT (the data's folder, mnist.mk's) can be set:
#   make -f pipelines/train.mk table41 SEEDS=20 EPOCHS=100
# Results (Markdown pages, runs as TSV, PNG plots) go to pipelines/results/.
# One BLAS thread: the runs are timed, and the machine is shared.

BINDIR ?= $(CURDIR)/bin
OUT   ?= build/mnist
SEEDS ?= 5
EPOCHS ?= 60
REUSE ?= 0
export PATH := $(BINDIR):$(PATH)
export OPENBLAS_NUM_THREADS := 1
export SEEDS EPOCHS OUT

.PHONY: all baseline table41 data deps
all: baseline table41

deps:
	@sh pipelines/deps.sh pipelines

data:
	@$(MAKE) --no-print-directory -f pipelines/mnist.mk data BINDIR=$(BINDIR) OUT=$(OUT)

baseline: deps data
	sh pipelines/baseline.sh $(if $(filter 1,$(REUSE)),--reuse) \
	    $(OUT)/train.nns $(OUT)/test.nns

table41: deps data
	sh pipelines/table41.sh $(if $(filter 1,$(REUSE)),--reuse) \
	    $(OUT)/train.nns $(OUT)/test.nns
