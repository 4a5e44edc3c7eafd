# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks of make bench (scripts/bench runs them in the VM) and
# memhog, a process with a planned RSS that the demo and the go selftest
# run too.  Not tests: they print figures and assert nothing.  They use
# their own helpers (bench_util.c) and the selftests' (mp_util.c) and, like
# the selftests, are static programs for the guest's /mp/bin, built into
# $(BUILD)/selftests.  Included by the top Makefile.

BENCH := bench_sampling bench_overhead bench_walk bench_events bench_daemon bench_churn memhog
BENCH_BINS := $(addprefix $(BUILD)/selftests/,$(BENCH))
TOOL_BINS += $(BENCH_BINS)

BENCH_UTIL := bench/bench_util.c bench/bench_util.h

$(BENCH_BINS): $(BUILD)/selftests/%: bench/%.c $(BENCH_UTIL) $(SELFTEST_UTIL) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Ibench -o $@ $< bench/bench_util.c selftests/mempressure/mp_util.c \
		$(COMMON_SRC) -lm
