# spectrum.mk — issue 15's reproductions with nn-spectrum: Li's Fig. 8a
# (Hessian density over training, deep ReLU MLP, hinge loss, binary MNIST)
# and Fig. 7b (bootstrap of exact Hessian entries), WeightWatcher's alpha
# per layer over training (backprop, closed form, shuffled), and the thesis's
# Fig. 6.3 (stable rank by layer, backprop against DLL).
#   make -f pipelines/spectrum.mk spectrum        every stage, then the page
#   make -f pipelines/spectrum.mk spectrum-page   the plots and page from the TSVs
#   make -f pipelines/spectrum.mk spectrum STAGES="li7b" M=32   one stage
# Sizes: E8A EVERY8A STEPS PROBES (li8a), E7B EVERY7B DRAWS M (li7b), EMC
# (alpha, srank); see pipelines/spectrum.sh --help.  li7b appends its rows
# to pipelines/results/spectrum-li7b.tsv (one block per M).
# OUT: the centred MNIST of mnist.mk; NETS: networks and data kept.
# TOOLS_COMMIT=SHA names the commit the tools in BINDIR were built at.
# Results: pipelines/results/spectrum-results.md, spectrum-*.tsv, spectrum-*.png.

BINDIR ?= $(CURDIR)/bin
OUT    ?= build/mnist-new
NETS   ?= build/spectrum
STAGES ?= data li8a li7b alpha srank
export PATH := $(BINDIR):$(PATH)
# one core per job: the machine is shared
export OPENBLAS_NUM_THREADS := 1
export E8A EVERY8A STEPS PROBES E7B EVERY7B DRAWS M EMC SEED TOOLS_COMMIT

.PHONY: spectrum spectrum-page deps
deps:
	@sh pipelines/deps.sh pipelines

$(OUT)/train.nns $(OUT)/test.nns:
	@$(MAKE) --no-print-directory -f pipelines/mnist.mk $@ BINDIR=$(BINDIR) OUT=$(OUT)

spectrum: deps $(OUT)/train.nns $(OUT)/test.nns
	sh pipelines/spectrum.sh --nets=$(NETS) --train=$(OUT)/train.nns \
	    --test=$(OUT)/test.nns $(STAGES) page

spectrum-page: deps
	sh pipelines/spectrum-page.sh
