# SPDX-License-Identifier: GPL-2.0
#
# mempressured (userspace/daemon): the daemon, a static copy for the test
# VM, the host tests of its configuration parser, of its policy and of its
# metrics, its VM selftests and its benchmark (bench_daemon, built by the
# selftests' pattern rule).  Included by the top Makefile after
# userspace/lib/lib.mk, which adds the protocol codec (mp_proto.c) to
# COMMON_SRC.

DAEMON_SRC := userspace/daemon/mempressured.c userspace/daemon/mpd_config.c \
	userspace/daemon/mpd_policy.c userspace/daemon/mpd_metrics.c \
	userspace/daemon/mpd_metrics_io.c
DAEMON_HDR := userspace/daemon/mpd_config.h userspace/daemon/mpd_policy.h \
	userspace/daemon/mpd_metrics.h userspace/daemon/mpd_metrics_io.h

USERSPACE_TARGETS += $(BUILD)/userspace/mempressured
TOOL_BINS += $(BUILD)/selftests/mempressured $(BUILD)/selftests/bench_daemon
HOST_TESTS += test_config test_policy test_metrics
SELFTESTS += daemon metrics

$(BUILD)/userspace/mempressured: $(DAEMON_SRC) $(DAEMON_HDR) $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iuserspace/daemon -o $@ $(DAEMON_SRC) $(COMMON_SRC) module/names.c $(LDFLAGS)

# The VM guest has no libc.
$(BUILD)/selftests/mempressured: $(DAEMON_SRC) $(DAEMON_HDR) $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iuserspace/daemon -static -o $@ $(DAEMON_SRC) $(COMMON_SRC) module/names.c

$(BUILD)/host-tests/test_config: selftests/host/test_config.c userspace/daemon/mpd_config.c $(DAEMON_HDR) userspace/common/mp_table.c $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/daemon/mpd_config.c userspace/common/mp_table.c

# The policy's decisions (mpd_policy.c): pure, no syscalls.
$(BUILD)/host-tests/test_policy: selftests/host/test_policy.c userspace/daemon/mpd_policy.c $(DAEMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/daemon/mpd_policy.c

# The metrics (mpd_metrics.c: rendering, pure) and their way out
# (mpd_metrics_io.c: the file, the HTTP responder, on the loopback; the
# pods' labels, on a node of fixture pods).  promtool checks the rendering
# when it is installed (scripts/deps).
$(BUILD)/host-tests/test_metrics: selftests/host/test_metrics.c userspace/daemon/mpd_metrics.c userspace/daemon/mpd_metrics_io.c $(DAEMON_HDR) userspace/common/mp_pod.c userspace/common/mp_pod.h $(POD_FIXTURE) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-Iselftests/mempressure -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/daemon/mpd_metrics.c userspace/daemon/mpd_metrics_io.c \
		userspace/common/mp_pod.c selftests/mempressure/pod_fixture.c

# The VM selftest of the metrics reads them with mpd_metrics_find().
$(BUILD)/selftests/metrics: selftests/mempressure/metrics.c userspace/daemon/mpd_metrics.c $(DAEMON_HDR) $(SELFTEST_UTIL) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Iuserspace/daemon -o $@ $< selftests/mempressure/mp_util.c \
		module/names.c userspace/daemon/mpd_metrics.c $(COMMON_SRC)
