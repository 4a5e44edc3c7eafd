# SPDX-License-Identifier: GPL-2.0
#
# The leak corpus (bench/leaks/README.md): its workloads (leakload in C,
# goleak in Go) and its runner (leakrun), static for the test VM; the
# short form's selftest (selftests/mempressure/leaks.c, in make check);
# the host's scorer (leakscore); and make leakbench (scripts/leakbench).
# Included by the top Makefile.

LEAKS_DIR := bench/leaks
LEAKS_RUN_SRC := $(LEAKS_DIR)/run.c $(LEAKS_DIR)/trace.c
LEAKS_HDR := $(LEAKS_DIR)/run.h $(LEAKS_DIR)/trace.h
LEAKS_GO_SRC := $(LEAKS_DIR)/go/go.mod $(wildcard $(LEAKS_DIR)/go/*.go)

TOOL_BINS += $(BUILD)/selftests/leakload $(BUILD)/selftests/goleak \
	     $(BUILD)/selftests/leakrun
SELFTESTS += leaks

$(BUILD)/selftests/leakload: $(LEAKS_DIR)/leakload.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -static -o $@ $<

# Static (CGO_ENABLED=0), offline, as userspace/go/go.mk builds.
$(BUILD)/selftests/goleak: $(LEAKS_GO_SRC)
	@mkdir -p $(@D)
	cd $(LEAKS_DIR)/go && $(GO_ENV) $(GO) vet . && \
		$(GO_ENV) $(GO) build -trimpath -o $(abspath $@) .

$(BUILD)/selftests/leakrun: $(LEAKS_DIR)/leakrun.c $(LEAKS_RUN_SRC) $(LEAKS_HDR) $(SELFTEST_UTIL) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -I$(LEAKS_DIR) -o $@ $< $(LEAKS_RUN_SRC) \
		selftests/mempressure/mp_util.c $(COMMON_SRC) -lm

$(BUILD)/selftests/leaks: selftests/mempressure/leaks.c $(LEAKS_RUN_SRC) $(LEAKS_HDR) $(SELFTEST_UTIL) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -I$(LEAKS_DIR) -o $@ $< $(LEAKS_RUN_SRC) \
		selftests/mempressure/mp_util.c $(COMMON_SRC) -lm

# With the module's own leak rule and windows, for -r (replay.c).
LEAKS_SCORE_SRC := $(LEAKS_DIR)/trace.c $(LEAKS_DIR)/replay.c module/leak.c module/window.c
$(BUILD)/bench/leakscore: $(LEAKS_DIR)/leakscore.c $(LEAKS_SCORE_SRC) $(LEAKS_DIR)/trace.h \
		$(LEAKS_DIR)/replay.h module/leak.h module/window.h pure/pure.h include/uapi/linux/mempressure.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -I$(LEAKS_DIR) -Imodule $(INCLUDES) -o $@ $< $(LEAKS_SCORE_SRC) -lm

.PHONY: leakbench
# The corpus in the VM at LEAK_WINDOW (10, 60 or 300) on KERNEL, scored.
leakbench:
	scripts/leakbench
