# quant.mk — thesis ch. 3 (issue 14): the weights of the 784-392-50-10
# tanh MLP quantized after every epoch of training, fixed N and dynamic
# (Algorithm 1), then the final network under every coding.
#   make -f pipelines/quant.mk quant-ch3           train the runs missing
#                                   from pipelines/results/quant-ch3-runs.tsv,
#                                   then the page and the plots
#   make -f pipelines/quant.mk quant-ch3 REUSE=1   only the page and plots
#   make -f pipelines/quant.mk quant-ch3 SEEDS="1 2 3" EPOCHS=30 STOP_AT=12:40
#   make -f pipelines/quant.mk quant-ch3 SEEDS="1 2 3" EPOCHS=100 QUANT_CONFIGS="base d5 d6 f8"
# OUT: the data's folder (mnist.mk's); NETS: where the final networks are
# kept (default build/quant-ch3, or build/quant-ch3-eE for EPOCHS=E); TOOLS_COMMIT=SHA names the commit the tools in BINDIR were built at.
# Results: pipelines/results/quant-ch3.md, quant-ch3-*.tsv, quant-ch3-*.png.

BINDIR ?= $(CURDIR)/bin
OUT    ?= build/mnist
NETS   ?=
SEEDS  ?= 1 2
EPOCHS ?= 30
LR     ?= 1
STOP_AT ?=
QUANT_CONFIGS ?=
REUSE  ?= 0
export PATH := $(BINDIR):$(PATH)
# one core per job: the machine is shared, and runs are timed
export OPENBLAS_NUM_THREADS := 1
export SEEDS EPOCHS LR

.PHONY: quant-ch3 deps data
deps:
	@sh pipelines/deps.sh pipelines

data:
	@$(MAKE) --no-print-directory -f pipelines/mnist.mk data BINDIR=$(BINDIR) OUT=$(OUT)

quant-ch3: deps data
	sh pipelines/quant-ch3.sh $(if $(filter 1,$(REUSE)),--reuse) \
	    $(if $(NETS),--nets=$(NETS)) $(if $(STOP_AT),--stop-at=$(STOP_AT)) \
	    $(if $(QUANT_CONFIGS),--configs="$(QUANT_CONFIGS)") \
	    $(OUT)/train.nns $(OUT)/test.nns
