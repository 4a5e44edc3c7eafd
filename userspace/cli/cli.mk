# SPDX-License-Identifier: GPL-2.0
#
# mempressure, the operator's CLI (userspace/cli, docs/cli.md): the program,
# a static copy for the test VM (/mp/bin/mempressure), the host test of its
# formatting (cli_format.c, pure) and its VM selftest.  Included by the top
# Makefile after the daemon's fragment; needs COMMON_SRC with mp_proto.c
# (userspace/lib/lib.mk adds it).

CLI_SRC := userspace/cli/mempressure.c userspace/cli/cli_format.c \
	userspace/cli/cli_show.c userspace/cli/cli_top.c userspace/cli/cli_events.c \
	userspace/cli/cli_control.c userspace/cli/cli_source.c
CLI_HDR := userspace/cli/cli.h userspace/cli/cli_format.h userspace/cli/cli_source.h
CLI_CFLAGS = $(USER_CFLAGS) -Iuserspace/cli -DMP_VERSION='"$(VERSION)"'

USERSPACE_TARGETS += $(BUILD)/userspace/mempressure
TOOL_BINS += $(BUILD)/selftests/mempressure
HOST_TESTS += test_cli
SELFTESTS += cli

$(BUILD)/userspace/mempressure: $(CLI_SRC) $(CLI_HDR) $(COMMON_SRC) $(COMMON_HDR) VERSION
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -o $@ $(CLI_SRC) $(COMMON_SRC) $(LDFLAGS)

# The VM guest has no libc.
$(BUILD)/selftests/mempressure: $(CLI_SRC) $(CLI_HDR) $(COMMON_SRC) $(COMMON_HDR) VERSION
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) -static -o $@ $(CLI_SRC) $(COMMON_SRC)

# It also runs the program it names, on procfs files of its own.
$(BUILD)/host-tests/test_cli: selftests/host/test_cli.c userspace/cli/cli_format.c userspace/cli/cli_format.h userspace/common/mp_table.c $(PURE_SRC) $(COMMON_HDR) $(KSRC)/.stamp $(BUILD)/userspace/mempressure
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/cli \
		-isystem $(KSRC)/tools/testing/selftests \
		-DCLI_BIN='"$(abspath $(BUILD))/userspace/mempressure"' \
		-o $@ $< userspace/cli/cli_format.c userspace/common/mp_table.c $(PURE_SRC)
