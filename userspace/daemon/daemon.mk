# SPDX-License-Identifier: GPL-2.0
#
# mempressured (userspace/daemon): the daemon, a static copy for the test
# VM, the host tests of its configuration parser, of its policy and of its
# metrics and its VM selftests (its benchmark, bench_daemon, is in
# bench/bench.mk).  Included by the top Makefile after
# userspace/lib/lib.mk, which adds the protocol codec (mp_proto.c) to
# COMMON_SRC.

# The daemon's parts (userspace/daemon/mpd.h has their map), all but its
# main(), which mempressured.c alone holds: the host tests link the parts.
DAEMON_PARTS := $(addprefix userspace/daemon/,mpd_manager.c mpd_loop.c mpd_events.c \
	mpd_clients.c mpd_callbacks.c mpd_children.c mpd_episodes.c mpd_exporter.c \
	mpd_sys.c mpd_log.c mpd_config.c mpd_policy.c mpd_metrics.c mpd_metrics_io.c)
DAEMON_SRC := userspace/daemon/mempressured.c $(DAEMON_PARTS)
DAEMON_HDR := $(wildcard userspace/daemon/*.h)

USERSPACE_TARGETS += $(BUILD)/userspace/mempressured
TOOL_BINS += $(BUILD)/selftests/mempressured
HOST_TESTS += test_config test_policy test_metrics
SELFTESTS += daemon metrics

$(BUILD)/userspace/mempressured: $(DAEMON_SRC) $(DAEMON_HDR) $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iuserspace/daemon -o $@ $(DAEMON_SRC) $(COMMON_SRC) $(LDFLAGS)

# The VM guest has no libc.
$(BUILD)/selftests/mempressured: $(DAEMON_SRC) $(DAEMON_HDR) $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iuserspace/daemon -static -o $@ $(DAEMON_SRC) $(COMMON_SRC)

$(BUILD)/host-tests/test_config: selftests/host/test_config.c userspace/daemon/mpd_config.c $(DAEMON_HDR) userspace/common/mp_table.c $(PURE_NAMES) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/daemon/mpd_config.c userspace/common/mp_table.c $(PURE_NAMES)

# The policy's decisions (mpd_policy.c): pure, no syscalls.
$(BUILD)/host-tests/test_policy: selftests/host/test_policy.c userspace/daemon/mpd_policy.c $(DAEMON_HDR) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/daemon/mpd_policy.c $(COMMON_SRC)

# The daemon's parts on a fixture tree, with clients on socketpairs; its
# exit statuses through the binary.
HOST_TESTS += test_daemon
$(BUILD)/host-tests/test_daemon: selftests/host/test_daemon.c $(DAEMON_PARTS) $(DAEMON_HDR) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp $(BUILD)/userspace/mempressured
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-isystem $(KSRC)/tools/testing/selftests \
		-DDAEMON_BIN='"$(abspath $(BUILD))/userspace/mempressured"' \
		-o $@ $< $(DAEMON_PARTS) $(COMMON_SRC)

# The metrics (mpd_metrics.c: rendering, pure) and their way out
# (mpd_metrics_io.c: the file, the HTTP responder, on the loopback; the
# pods' labels, on a node of fixture pods).  promtool checks the rendering
# when it is installed (scripts/deps).
$(BUILD)/host-tests/test_metrics: selftests/host/test_metrics.c userspace/daemon/mpd_metrics.c userspace/daemon/mpd_metrics_io.c userspace/daemon/mpd_loop.c userspace/daemon/mpd_log.c $(PURE_NAMES) $(DAEMON_HDR) userspace/common/mp_pod.c userspace/common/mp_pod.h $(POD_FIXTURE) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -Iuserspace/daemon \
		-Iselftests/mempressure -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/daemon/mpd_metrics.c userspace/daemon/mpd_metrics_io.c \
		userspace/daemon/mpd_loop.c userspace/daemon/mpd_log.c $(PURE_NAMES) \
		userspace/common/mp_pod.c selftests/mempressure/pod_fixture.c

# The VM selftest of the metrics reads them with mpd_metrics_find().
$(BUILD)/selftests/metrics: selftests/mempressure/metrics.c userspace/daemon/mpd_metrics.c $(DAEMON_HDR) $(SELFTEST_UTIL) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Iuserspace/daemon -o $@ $< selftests/mempressure/mp_util.c \
		userspace/daemon/mpd_metrics.c $(COMMON_SRC)
