# spectrum.mk — issue 15's reproductions with nn-spectrum: Li's Fig. 8a
# (Hessian density over training, deep ReLU MLP, hinge loss, binary MNIST)
# and Fig. 7b (bootstrap of exact Hessian entries), WeightWatcher's alpha
# per layer over training (backprop, closed form, shuffled), and the thesis's
# Fig. 6.3 (stable rank by layer, backprop against DLL).
#   make -f pipelines/spectrum.mk spectrum        every stage as on the page
#                 (li7b with M=128 DRAWS=32 and M=1 DRAWS=128, srank with seeds
#                 1 and 2, li8a also with seeds 2 and 3 in --precision f32),
#                 then the page; li7b appends to its TSVs, so remove
#                 pipelines/results/spectrum-li7b*.tsv before a full re-run
#   make -f pipelines/spectrum.mk spectrum-page   the plots and page from the TSVs
#   make -f pipelines/spectrum.mk spectrum-stages STAGES="li7b" M=32   stages
# Sizes: E8A EVERY8A STEPS PROBES (li8a), E7B EVERY7B DRAWS M (li7b), EMC
# (alpha, srank); see pipelines/spectrum.sh --help.  li7b appends its rows
# to pipelines/results/spectrum-li7b.tsv (one block per M).
# OUT: the centred MNIST of mnist.mk; NETS: networks and data kept.
# TOOLS_COMMIT=SHA names the commit the tools in BINDIR were built at.
# Results: pipelines/results/spectrum-results.md, spectrum-*.tsv, spectrum-*.png.

BINDIR ?= $(CURDIR)/bin
OUT    ?= build/mnist-new
NETS   ?= build/spectrum
STAGES ?= data li8a li8a_check alpha srank
export PATH := $(BINDIR):$(PATH)
# one core per job: the machine is shared
export OPENBLAS_NUM_THREADS := 1
export E8A EVERY8A STEPS PROBES PRECISION E7B EVERY7B DRAWS M EMC SEED TOOLS_COMMIT

.PHONY: spectrum spectrum-stages spectrum-page deps
deps:
	@sh pipelines/deps.sh pipelines

$(OUT)/train.nns $(OUT)/test.nns:
	@$(MAKE) --no-print-directory -f pipelines/mnist.mk $@ BINDIR=$(BINDIR) OUT=$(OUT)

SP = sh pipelines/spectrum.sh --nets=$(NETS) --train=$(OUT)/train.nns --test=$(OUT)/test.nns

spectrum: deps $(OUT)/train.nns $(OUT)/test.nns
	$(SP) data li8a li8a_check alpha srank
	M=128 DRAWS=32 $(SP) li7b
	M=1 DRAWS=128 $(SP) li7b
	SEED=2 $(SP) srank
	SEED=2 PRECISION=f32 $(SP) li8a
	SEED=3 PRECISION=f32 $(SP) li8a
	sh pipelines/spectrum-page.sh

spectrum-stages: deps $(OUT)/train.nns $(OUT)/test.nns
	$(SP) $(STAGES)

spectrum-page: deps
	sh pipelines/spectrum-page.sh
