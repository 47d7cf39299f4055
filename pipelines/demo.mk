# demo.mk — the project's main job (make demo).
# For now: fetch MNIST if needed, import it, show what nn-info sees, and
# write the first 100 training digits as a PNG.

BIN  ?= bin
OUT  ?= build/demo
DATA ?= data
MNIST = $(DATA)/mnist
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all
all: $(OUT)/train.nns $(OUT)/test.nns $(OUT)/digits.png
	@echo
	@echo "== nn-info $(OUT)/train.nns"
	@nn-info $(OUT)/train.nns
	@echo
	@echo "== nn-info $(OUT)/test.nns"
	@nn-info $(OUT)/test.nns
	@echo
	@echo "The first 100 training digits: $(OUT)/digits.png"

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

$(OUT)/digits.png: $(OUT)/train.nns
	nn-export -n x --count 100 --zoom 2 -o $@ $<
