# mnist.mk — the thesis's MNIST experiments with closed-form fits.
#   make -f pipelines/mnist.mk table72   Table 7.2: one hidden layer, four methods
#   make -f pipelines/mnist.mk table72-check WIDTHS=392   re-run a column and
#                                        compare with the recorded runs
#   make -f pipelines/mnist.mk table73   Table 7.3: deeper deterministic networks
#   make -f pipelines/mnist.mk toys      sine, two spirals, checkerboard
#   make -f pipelines/mnist.mk kfilter   k-redundancy by layer, Table 5.1
# Results (Markdown tables, PNG plots) go to pipelines/results/.

BINDIR ?= $(CURDIR)/bin
OUT   ?= build/mnist
DATA  ?= data
SEEDS ?= 10
export PATH := $(BINDIR):$(PATH)
export SEEDS OUT

.PHONY: all table72 table72-check table73 toys kfilter data deps
all: table72 table73 toys kfilter

$(DATA)/mnist/.ok:
	@$(MAKE) --no-print-directory -f pipelines/data.mk mnist

deps:
	@sh pipelines/deps.sh pipelines

# MNIST in [0,1], centred with the training set's means (ALGORITHMS.md:
# uncentred non-negative inputs make sorted-PCA weights useless), and
# standardized (sd 1 per pixel), with which Table 7.2's numbers come back
$(OUT)/train.nns $(OUT)/test.nns $(OUT)/train.std.nns $(OUT)/test.std.nns: $(DATA)/mnist/.ok
	@mkdir -p $(OUT)
	nn-import --scale 1/255 $(DATA)/mnist/train-images-idx3-ubyte \
	    $(DATA)/mnist/train-labels-idx1-ubyte > $(OUT)/train.raw.nns
	nn-import --scale 1/255 $(DATA)/mnist/t10k-images-idx3-ubyte \
	    $(DATA)/mnist/t10k-labels-idx1-ubyte > $(OUT)/test.raw.nns
	nn-standardize --fit $(OUT)/train.raw.nns > $(OUT)/means.nns
	nn-standardize --center --stats $(OUT)/means.nns $(OUT)/train.raw.nns > $(OUT)/train.nns
	nn-standardize --center --stats $(OUT)/means.nns $(OUT)/test.raw.nns > $(OUT)/test.nns
	nn-standardize --stats $(OUT)/means.nns $(OUT)/train.raw.nns > $(OUT)/train.std.nns
	nn-standardize --stats $(OUT)/means.nns $(OUT)/test.raw.nns > $(OUT)/test.std.nns
	rm -f $(OUT)/train.raw.nns $(OUT)/test.raw.nns

data: $(OUT)/train.nns

table72: deps $(OUT)/train.std.nns
	sh pipelines/table72.sh $(OUT)/train.std.nns $(OUT)/test.std.nns

table72-check: deps $(OUT)/train.std.nns
	CHECK=1 WIDTHS="$(or $(WIDTHS),392)" sh pipelines/table72.sh \
	    $(OUT)/train.std.nns $(OUT)/test.std.nns

table73: deps $(OUT)/train.nns
	sh pipelines/table73.sh $(OUT)/train.nns $(OUT)/test.nns

toys: deps
	sh pipelines/toys.sh

kfilter: deps $(OUT)/train.nns
	@$(MAKE) --no-print-directory -f pipelines/data.mk fashion
	sh pipelines/kfilter.sh
