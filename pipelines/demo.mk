# demo.mk — the project's main job (make demo): fetch MNIST if needed,
# import it, fit a two-hidden-layer network in closed form (no
# backpropagation: thesis ch. 7, deterministic), print its train and test
# accuracy, and draw its first-layer weights.

BINDIR ?= $(CURDIR)/bin
OUT  ?= build/demo
DATA ?= data
MNIST = $(DATA)/mnist
export PATH := $(BINDIR):$(PATH)

.PHONY: all
all: $(OUT)/net.nns $(OUT)/digits.png
	@echo
	@echo "== the data (nn-info $(OUT)/train.nns)"
	@nn-info $(OUT)/train.nns
	@echo
	@echo "== the network, fitted in $$(cat $(OUT)/fit-seconds) s (nn-info -H $(OUT)/net.nns)"
	@nn-info -H $(OUT)/net.nns
	@echo
	@printf "train accuracy %s%%\n" "$$(nn-forward $(OUT)/net.nns $(OUT)/train.c.nns | nn-eval -q)"
	@printf "test accuracy  %s%%\n" "$$(nn-forward $(OUT)/net.nns $(OUT)/test.c.nns | nn-eval -q)"
	@echo
	@echo "The first 100 training digits:          $(OUT)/digits.png"
	@echo "The first layer's 784 units:             $(OUT)/w1.png"

$(MNIST)/.ok:
	@$(MAKE) --no-print-directory -f pipelines/data.mk mnist

$(OUT)/train.nns: $(MNIST)/.ok
	@mkdir -p $(OUT)
	nn-import --scale 1/255 $(MNIST)/train-images-idx3-ubyte \
	    $(MNIST)/train-labels-idx1-ubyte -o $@

$(OUT)/test.nns: $(MNIST)/.ok
	@mkdir -p $(OUT)
	nn-import --scale 1/255 $(MNIST)/t10k-images-idx3-ubyte \
	    $(MNIST)/t10k-labels-idx1-ubyte -o $@

# centred with the training set's means, for both sets
$(OUT)/train.c.nns $(OUT)/test.c.nns: $(OUT)/train.nns $(OUT)/test.nns
	nn-standardize --fit $(OUT)/train.nns > $(OUT)/means.nns
	nn-standardize --center --stats $(OUT)/means.nns $(OUT)/train.nns -o $(OUT)/train.c.nns
	nn-standardize --center --stats $(OUT)/means.nns $(OUT)/test.nns -o $(OUT)/test.c.nns

# sorted PCA for 784 first-layer units, re-weighted Platonic PCA for 392
# more, a ridge output layer (Table 7.3's 784-392 network)
$(OUT)/net.nns: $(OUT)/train.c.nns
	@t0=$$(date +%s.%N); \
	sh pipelines/fit-net.sh --first-method sorted-pca -m platonic-pca --beta 1e6 -l 0.03 --ema 0.2 \
	    $(OUT)/train.c.nns 784 392 > $@.tmp && mv $@.tmp $@; \
	awk -v a=$$t0 -v b=$$(date +%s.%N) 'BEGIN { printf "%.1f\n", b - a }' > $(OUT)/fit-seconds
	nn-export -n w --columns --skip-rows 1 --per-tile --count 784 \
	    -o $(OUT)/w1.png $@

$(OUT)/digits.png: $(OUT)/train.nns
	nn-export -n x --count 100 --zoom 2 -o $@ $<
