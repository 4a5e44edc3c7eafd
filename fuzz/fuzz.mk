# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing (docs/testing.md, "Fuzzing"): a libFuzzer target per parser, in
# fuzz/fuzz_<name>.c, each with a seed corpus in fuzz/corpus/<name>/.
#
#  - make fuzz builds them with clang (-fsanitize=fuzzer,address,undefined)
#    into $(BUILD)/fuzz/ and runs each for FUZZ_SECONDS (fuzz/run), new
#    inputs going to $(BUILD)/fuzz/corpus/<name>/, never to the repository;
#    FUZZ names the targets to run (default: all).
#  - make check replays every corpus under gcc's ASan and UBSan: each
#    target linked with fuzz/replay.c is the host test fuzz_<name>.
#
# Included by the top Makefile after the other fragments.

FUZZ_TARGETS := control events proto config table status
FUZZ ?= $(FUZZ_TARGETS)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_OUT := $(BUILD)/fuzz

# What each target is linked with: the parser under test and its helpers.
FUZZ_SRC_control := $(PURE_SRC)
FUZZ_SRC_events := fuzz/fuzz_cells.c userspace/common/mp_event.c userspace/common/mp_proto.c \
		   userspace/common/mp_table.c $(PURE_SRC)
FUZZ_SRC_proto := userspace/common/mp_proto.c userspace/common/mp_table.c
FUZZ_SRC_config := userspace/daemon/mpd_config.c userspace/common/mp_table.c $(PURE_NAMES)
FUZZ_SRC_table := fuzz/fuzz_cells.c userspace/common/mp_table.c $(PURE_SRC)
FUZZ_SRC_status := fuzz/fuzz_cells.c userspace/common/mp_table.c $(PURE_SRC)

FUZZ_HDR := fuzz/fuzz.h $(COMMON_HDR) userspace/daemon/mpd_config.h
FUZZ_INCLUDES := $(INCLUDES) -Iuserspace/daemon
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		 -fno-omit-frame-pointer

HOST_TESTS += $(addprefix fuzz_,$(FUZZ_TARGETS))

# $(1): a target's name.  Its replay under gcc (the host test, replaying
# its corpus unless given directories) and its fuzzer under clang.
define FUZZ_RULES
$(BUILD)/host-tests/fuzz_$(1): fuzz/fuzz_$(1).c fuzz/replay.c $(FUZZ_SRC_$(1)) $(FUZZ_HDR)
	@mkdir -p $$(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(FUZZ_INCLUDES) \
		-DFUZZ_CORPUS='"$(CURDIR)/fuzz/corpus/$(1)"' \
		-o $$@ fuzz/fuzz_$(1).c fuzz/replay.c $(FUZZ_SRC_$(1))

$(FUZZ_OUT)/fuzz_$(1): fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1)) $(FUZZ_HDR)
	@command -v $(FUZZ_CC) >/dev/null || scripts/deps
	@mkdir -p $$(@D)
	$(FUZZ_CC) -std=gnu11 -O1 -g $(WARN) $(FUZZ_SANITIZE) $(FUZZ_INCLUDES) \
		-o $$@ fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULES,$(t))))

.PHONY: fuzz
fuzz: $(addprefix $(FUZZ_OUT)/fuzz_,$(FUZZ))
	fuzz/run $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ)
