# canon.mk — issue 13's experiments on MNIST (permutations of hidden units).
#   make -f pipelines/canon.mk recovery   Glukhov 6.1: keys and weight
#                                         matching on permuted, disturbed nets
#   make -f pipelines/canon.mk rebasin    convergent learning, the barrier,
#                                         averages raw, canonical, aligned
#   make -f pipelines/canon.mk prepruned  the same with one set of pre-pruning
#                                         masks (nn-init -p 0.5 --mask-seed 1)
#   make -f pipelines/canon.mk stopping   Glukhov 6.1: Phi to a benchmark
#                                         along a re-training, as a stopping
#                                         rule (pipelines/stopping.sh)
# Results (Markdown, PNG, TSV) go to pipelines/results/.

BINDIR ?= $(CURDIR)/bin
OUT    ?= build/mnist
export PATH := $(BINDIR):$(PATH)

.PHONY: all recovery rebasin prepruned stopping data
all: recovery rebasin prepruned stopping

data:
	@$(MAKE) --no-print-directory -f pipelines/mnist.mk data OUT=$(OUT)

# three trained networks for the recovery test
$(OUT)/canon/net%.nns: | data
	@mkdir -p $(OUT)/canon
	nn-init -s $* -O softmax 784-256-128-10 | nn-train -e 3 -b 128 -s $* - $(OUT)/train.nns > $@.tmp && mv $@.tmp $@

recovery: $(OUT)/canon/net1.nns $(OUT)/canon/net2.nns $(OUT)/canon/net3.nns
	sh pipelines/recovery.sh $(OUT)/train.nns $^

rebasin: data
	sh pipelines/rebasin.sh $(OUT)/train.nns $(OUT)/test.nns

prepruned: data
	PRUNE=0.5 NAME=rebasin-pruned sh pipelines/rebasin.sh $(OUT)/train.nns $(OUT)/test.nns

stopping: data
	sh pipelines/stopping.sh $(OUT)/train.nns $(OUT)/test.nns
