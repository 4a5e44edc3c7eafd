// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libmempressure (userspace/lib) against a fake daemon: the
 * test listens on a SOCK_SEQPACKET socket in a temporary directory, plays
 * mempressured's side of docs/protocol.md packet by packet, and checks what
 * the library sends back and what it hands to the application.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include <mempressure/mempressure.h>

#include "mp_proto.h"

#define WELCOME "msg=welcome version=1 pid=412 cgroup=/app level=none soft_limit_bytes=71303168"
#define TRIM "msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412"

FIXTURE(daemon) {
	char dir[64];
	char path[128];
	int listen_fd;
	int conn;			/* the daemon's end of the connection */
	struct mp_client *c;

	/* What the handlers saw. */
	int trims, levels, process_in_handler;
	struct mp_trim trim;
	struct mp_level_change level;
	char cgroup[MEMPRESSURED_MSG_MAX + 1];
	uint64_t trim_return;
	bool report_in_handler;
};

/* A client connected to the fake daemon, its hello not yet read. */
static int connect_client(FIXTURE_DATA(daemon) *self)
{
	int r;

	mp_client_free(self->c);
	self->c = NULL;
	if (self->conn >= 0)
		close(self->conn);
	self->conn = -1;
	r = mp_client_new(&self->c, "test app", self->path);
	if (r)
		return r;
	self->conn = accept4(self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	return self->conn < 0 ? -errno : 0;
}

FIXTURE_SETUP(daemon)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	self->conn = -1;
	strcpy(self->dir, "/tmp/test_lib.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/sock", self->dir);
	strcpy(sa.sun_path, self->path);
	self->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->listen_fd);
	ASSERT_EQ(0, bind(self->listen_fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(self->listen_fd, 8));
	ASSERT_EQ(0, connect_client(self));
}

FIXTURE_TEARDOWN(daemon)
{
	mp_client_free(self->c);
	if (self->conn >= 0)
		close(self->conn);
	close(self->listen_fd);
	unlink(self->path);
	rmdir(self->dir);
}

static void daemon_send(FIXTURE_DATA(daemon) *self, const char *text)
{
	if (send(self->conn, text, strlen(text), 0) != (ssize_t)strlen(text))
		abort();
}

/* The next packet from the client, parsed, or -EAGAIN if none waits. */
static int daemon_recv(FIXTURE_DATA(daemon) *self, struct mp_msg *m,
		       char *raw, size_t size)
{
	char buf[MEMPRESSURED_MSG_MAX + 1];
	ssize_t n = recv(self->conn, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	if (raw)
		snprintf(raw, size, "%.*s", (int)n, buf);
	return mp_msg_parse(buf, (size_t)n, m);
}

/* Read the hello and send the welcome. */
static int welcome(FIXTURE_DATA(daemon) *self)
{
	struct mp_msg m;
	int r = daemon_recv(self, &m, NULL, 0);

	if (r || m.type != MEMPRESSURED_MSG_HELLO)
		return -1;
	daemon_send(self, WELCOME);
	return mp_client_process(self->c);
}

static uint64_t on_trim(struct mp_client *c, const struct mp_trim *req,
			void *userdata)
{
	FIXTURE_DATA(daemon) *self = userdata;

	if (c != self->c)
		abort();
	self->trims++;
	self->trim = *req;
	if (req->cgroup) {
		strcpy(self->cgroup, req->cgroup);
		self->trim.cgroup = self->cgroup;
	}
	self->process_in_handler = mp_client_process(c);
	if (self->report_in_handler) {
		if (mp_client_report(c, req->id, 4096))
			abort();
		return MP_TRIM_LATER;
	}
	return self->trim_return;
}

static void on_level(struct mp_client *c, const struct mp_level_change *ev,
		     void *userdata)
{
	FIXTURE_DATA(daemon) *self = userdata;

	if (c != self->c)
		abort();
	self->levels++;
	self->level = *ev;
	if (ev->cgroup) {
		strcpy(self->cgroup, ev->cgroup);
		self->level.cgroup = self->cgroup;
	}
}

TEST_F(daemon, hello_carries_name_and_version)
{
	char raw[MEMPRESSURED_MSG_MAX + 1];
	struct mp_msg m;
	uint64_t v;

	ASSERT_EQ(0, daemon_recv(self, &m, raw, sizeof(raw)));
	ASSERT_STREQ("msg=hello version=1 name=test\\040app", raw);
	ASSERT_EQ(MEMPRESSURED_MSG_HELLO, m.type);
	ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_VERSION, &v));
	ASSERT_EQ(MEMPRESSURED_PROTOCOL_VERSION, v);
	ASSERT_STREQ("test app", mp_msg_get(&m, MEMPRESSURED_KEY_NAME));
	ASSERT_NULL(mp_msg_get(&m, MEMPRESSURED_KEY_SCOPE));
	/* One hello, and nothing else until the daemon speaks. */
	ASSERT_EQ(-EAGAIN, daemon_recv(self, &m, NULL, 0));
}

TEST_F(daemon, the_descriptor_is_for_a_poll_loop)
{
	int fd = mp_client_fd(self->c), type = 0;
	socklen_t len = sizeof(type);

	ASSERT_LE(0, fd);
	ASSERT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
	ASSERT_EQ(SOCK_SEQPACKET, type);
	ASSERT_EQ(POLLIN, mp_client_events(self->c));
}

TEST_F(daemon, nothing_pending_and_no_welcome_yet)
{
	const char *s;
	uint64_t u;
	pid_t pid;
	int level;

	ASSERT_EQ(0, mp_client_process(self->c));
	ASSERT_EQ(-ENODATA, mp_client_get_pid(self->c, &pid));
	ASSERT_EQ(-ENODATA, mp_client_get_cgroup(self->c, &s));
	ASSERT_EQ(-ENODATA, mp_client_get_level(self->c, &level));
	ASSERT_EQ(-ENODATA, mp_client_get_soft_limit(self->c, &u));
	ASSERT_EQ(-ENODATA, mp_client_get_error(self->c, &s));
}

TEST_F(daemon, welcome_fills_the_getters)
{
	const char *s;
	uint64_t u;
	pid_t pid;
	int level;

	daemon_send(self, "msg=welcome version=1 pid=412 cgroup=/my\\040app level=low soft_limit_bytes=71303168 future_key=1");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(0, mp_client_get_pid(self->c, &pid));
	ASSERT_EQ(412, pid);
	ASSERT_EQ(0, mp_client_get_cgroup(self->c, &s));
	ASSERT_STREQ("/my app", s);
	ASSERT_EQ(0, mp_client_get_level(self->c, &level));
	ASSERT_EQ(MP_LEVEL_LOW, level);
	ASSERT_EQ(0, mp_client_get_soft_limit(self->c, &u));
	ASSERT_EQ(71303168, u);
	ASSERT_EQ(-ENODATA, mp_client_get_error(self->c, &s));
	ASSERT_EQ(0, mp_client_process(self->c));
}

TEST_F(daemon, welcome_soft_limit_max_and_optional_keys)
{
	const char *s;
	uint64_t u;
	pid_t pid;
	int level;

	daemon_send(self, "msg=welcome version=1 soft_limit_bytes=max level=extreme");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(0, mp_client_get_soft_limit(self->c, &u));
	ASSERT_EQ(UINT64_MAX, u);
	ASSERT_EQ(0, mp_client_get_level(self->c, &level));
	ASSERT_EQ(MP_LEVEL_UNKNOWN, level);
	ASSERT_EQ(-ENODATA, mp_client_get_pid(self->c, &pid));
	ASSERT_EQ(-ENODATA, mp_client_get_cgroup(self->c, &s));
}

TEST_F(daemon, trim_calls_the_handler_and_replies)
{
	char raw[MEMPRESSURED_MSG_MAX + 1];
	struct mp_msg m;

	ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
	self->trim_return = 9437184;
	ASSERT_EQ(1, welcome(self));
	daemon_send(self, TRIM);
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(1, self->trims);
	ASSERT_EQ(7, self->trim.id);
	ASSERT_EQ(8388608, self->trim.want_bytes);
	ASSERT_EQ(500, self->trim.deadline_ms);
	ASSERT_EQ(MP_LEVEL_MEDIUM, self->trim.level);
	ASSERT_EQ(MP_TRIM_REASON_SOFT, self->trim.reason);
	ASSERT_STREQ("/app", self->trim.cgroup);
	ASSERT_EQ(412, self->trim.pid);
	/* The handler cannot re-enter the library's loop. */
	ASSERT_EQ(-EBUSY, self->process_in_handler);

	ASSERT_EQ(0, daemon_recv(self, &m, raw, sizeof(raw)));
	ASSERT_STREQ("msg=trimmed id=7 freed_bytes=9437184", raw);
	ASSERT_EQ(-EAGAIN, daemon_recv(self, &m, NULL, 0));
}

TEST_F(daemon, trim_without_a_handler_is_answered_with_zero)
{
	char raw[MEMPRESSURED_MSG_MAX + 1];
	struct mp_msg m;

	ASSERT_EQ(1, welcome(self));
	daemon_send(self, "msg=trim id=3 want_bytes=10");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(0, daemon_recv(self, &m, raw, sizeof(raw)));
	ASSERT_STREQ("msg=trimmed id=3 freed_bytes=0", raw);
}

TEST_F(daemon, trim_with_only_the_required_keys)
{
	ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
	ASSERT_EQ(1, welcome(self));
	daemon_send(self, "msg=trim id=3 want_bytes=10 reason=boredom");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(1, self->trims);
	ASSERT_EQ(3, self->trim.id);
	ASSERT_EQ(10, self->trim.want_bytes);
	ASSERT_EQ(0, self->trim.deadline_ms);
	ASSERT_EQ(MP_LEVEL_UNKNOWN, self->trim.level);
	ASSERT_EQ(MP_TRIM_REASON_UNKNOWN, self->trim.reason);
	ASSERT_NULL(self->trim.cgroup);
	ASSERT_EQ(0, self->trim.pid);
}

TEST_F(daemon, trim_later_then_report)
{
	char raw[MEMPRESSURED_MSG_MAX + 1];
	struct mp_msg m;

	ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
	self->trim_return = MP_TRIM_LATER;
	ASSERT_EQ(1, welcome(self));
	daemon_send(self, TRIM);
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(1, self->trims);
	ASSERT_EQ(-EAGAIN, daemon_recv(self, &m, NULL, 0));

	ASSERT_EQ(-EINVAL, mp_client_report(self->c, 7, MP_TRIM_LATER));
	ASSERT_EQ(0, mp_client_report(self->c, 7, 1234));
	ASSERT_EQ(0, daemon_recv(self, &m, raw, sizeof(raw)));
	ASSERT_STREQ("msg=trimmed id=7 freed_bytes=1234", raw);
	ASSERT_EQ(-EAGAIN, daemon_recv(self, &m, NULL, 0));
}

TEST_F(daemon, report_from_inside_the_handler)
{
	char raw[MEMPRESSURED_MSG_MAX + 1];
	struct mp_msg m;

	ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
	self->report_in_handler = true;
	ASSERT_EQ(1, welcome(self));
	daemon_send(self, TRIM);
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(0, daemon_recv(self, &m, raw, sizeof(raw)));
	ASSERT_STREQ("msg=trimmed id=7 freed_bytes=4096", raw);
	ASSERT_EQ(-EAGAIN, daemon_recv(self, &m, NULL, 0));
}

TEST_F(daemon, level_calls_the_level_handler)
{
	int level;

	ASSERT_EQ(0, mp_client_set_level_handler(self->c, on_level, self));
	ASSERT_EQ(1, welcome(self));
	daemon_send(self, "msg=level cgroup=/app level=medium old_level=low reason=usage");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(1, self->levels);
	ASSERT_EQ(MP_LEVEL_MEDIUM, self->level.level);
	ASSERT_EQ(MP_LEVEL_LOW, self->level.old_level);
	ASSERT_EQ(MP_LEVEL_REASON_USAGE, self->level.reason);
	ASSERT_STREQ("/app", self->level.cgroup);
	ASSERT_EQ(0, mp_client_get_level(self->c, &level));
	ASSERT_EQ(MP_LEVEL_MEDIUM, level);

	/* Names from a newer daemon are unknown, not errors. */
	daemon_send(self, "msg=level cgroup=/app level=severe old_level=medium reason=sunspots");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(2, self->levels);
	ASSERT_EQ(MP_LEVEL_UNKNOWN, self->level.level);
	ASSERT_EQ(MP_LEVEL_MEDIUM, self->level.old_level);
	ASSERT_EQ(MP_LEVEL_REASON_UNKNOWN, self->level.reason);

	/* Without a handler the level is still followed. */
	ASSERT_EQ(0, mp_client_set_level_handler(self->c, NULL, NULL));
	daemon_send(self, "msg=level cgroup=/app level=critical old_level=medium reason=psi");
	ASSERT_EQ(1, mp_client_process(self->c));
	ASSERT_EQ(2, self->levels);
	ASSERT_EQ(0, mp_client_get_level(self->c, &level));
	ASSERT_EQ(MP_LEVEL_CRITICAL, level);
}

TEST_F(daemon, every_pending_packet_in_one_call)
{
	struct mp_msg m;
	uint64_t id;

	ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
	ASSERT_EQ(0, mp_client_set_level_handler(self->c, on_level, self));
	self->trim_return = 1;
	ASSERT_EQ(0, daemon_recv(self, &m, NULL, 0));
	daemon_send(self, WELCOME);
	daemon_send(self, "msg=level cgroup=/app level=low old_level=none reason=usage");
	daemon_send(self, "msg=trim id=1 want_bytes=100");
	daemon_send(self, "msg=trim id=2 want_bytes=200");
	ASSERT_EQ(4, mp_client_process(self->c));
	ASSERT_EQ(2, self->trims);
	ASSERT_EQ(1, self->levels);
	ASSERT_EQ(0, daemon_recv(self, &m, NULL, 0));
	ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id));
	ASSERT_EQ(1, id);
	ASSERT_EQ(0, daemon_recv(self, &m, NULL, 0));
	ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id));
	ASSERT_EQ(2, id);
	ASSERT_EQ(0, mp_client_process(self->c));
}

TEST_F(daemon, the_daemon_closing_is_econnreset)
{
	ASSERT_EQ(1, welcome(self));
	close(self->conn);
	self->conn = -1;
	ASSERT_EQ(-ECONNRESET, mp_client_process(self->c));
	/* It stays broken: every call says so. */
	ASSERT_EQ(-ECONNRESET, mp_client_process(self->c));
	ASSERT_EQ(-ECONNRESET, mp_client_report(self->c, 1, 1));
	ASSERT_LE(0, mp_client_fd(self->c));
}

TEST_F(daemon, a_reset_is_econnreset)
{
	daemon_send(self, WELCOME);
	mp_client_report(self->c, 1, 1);	/* left unread: a reset */
	close(self->conn);
	self->conn = -1;
	ASSERT_EQ(-ECONNRESET, mp_client_process(self->c));
	ASSERT_EQ(-ECONNRESET, mp_client_process(self->c));
}

TEST_F(daemon, packets_before_the_close_are_handled)
{
	ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
	ASSERT_EQ(1, welcome(self));
	daemon_send(self, TRIM);
	close(self->conn);
	self->conn = -1;
	ASSERT_EQ(-ECONNRESET, mp_client_process(self->c));
	ASSERT_EQ(1, self->trims);
}

TEST_F(daemon, version_error_is_eproto)
{
	const char *reason;
	struct mp_msg m;

	ASSERT_EQ(0, daemon_recv(self, &m, NULL, 0));
	daemon_send(self, "msg=error reason=version");
	close(self->conn);
	self->conn = -1;
	ASSERT_EQ(-EPROTO, mp_client_process(self->c));
	ASSERT_EQ(0, mp_client_get_error(self->c, &reason));
	ASSERT_STREQ("version", reason);
	ASSERT_EQ(-EPROTO, mp_client_process(self->c));
}

/*
 * A daemon that closes without reading the hello resets the connection;
 * the error it sent before is still read.
 */
TEST_F(daemon, version_error_after_a_reset)
{
	const char *reason;

	daemon_send(self, "msg=error reason=version");
	close(self->conn);
	self->conn = -1;
	ASSERT_EQ(-EPROTO, mp_client_process(self->c));
	ASSERT_EQ(0, mp_client_get_error(self->c, &reason));
	ASSERT_STREQ("version", reason);
	ASSERT_EQ(-EPROTO, mp_client_process(self->c));
}

TEST_F(daemon, other_errors_are_econnreset)
{
	const char *reason;

	ASSERT_EQ(1, welcome(self));
	daemon_send(self, "msg=error reason=too\\040many\\040clients");
	ASSERT_EQ(-ECONNRESET, mp_client_process(self->c));
	ASSERT_EQ(0, mp_client_get_error(self->c, &reason));
	ASSERT_STREQ("too many clients", reason);
}

TEST_F(daemon, a_welcome_of_another_version_is_eproto)
{
	daemon_send(self, "msg=welcome version=2 pid=1");
	ASSERT_EQ(-EPROTO, mp_client_process(self->c));
}

/*
 * What a broken daemon might send: each breaks the connection with the
 * error given, calls no handler and gets no reply.
 */
TEST_F(daemon, malformed_packets_from_the_daemon)
{
	static const struct {
		bool welcomed;
		const char *packet;
		int err;
	} cases[] = {
		{ false, "garbage", -EBADMSG },
		{ false, "msg=welcome  version=1", -EBADMSG },
		{ false, "msg=welcome version=1 ", -EBADMSG },
		{ false, "msg=welcome version=1\n", -EBADMSG },
		{ false, "msg=welcome", -EBADMSG },
		{ false, "msg=welcome version=one", -EBADMSG },
		{ false, "msg=welcome version=1 pid=-1", -EBADMSG },
		{ false, "msg=welcome version=1 pid=4294967296", -EBADMSG },
		{ false, "msg=welcome version=1 soft_limit_bytes=lots", -EBADMSG },
		{ false, "msg=bogus", -EPROTO },
		{ false, "msg=trim id=1 want_bytes=5", -EPROTO },
		{ false, "msg=level cgroup=/ level=low", -EPROTO },
		{ true, WELCOME, -EPROTO },
		{ true, "msg=hello version=1 name=x", -EPROTO },
		{ true, "msg=trimmed id=1 freed_bytes=0", -EPROTO },
		{ true, "msg=status", -EPROTO },
		{ true, "msg=end", -EPROTO },
		{ true, "msg=trim want_bytes=5", -EBADMSG },
		{ true, "msg=trim id=1", -EBADMSG },
		{ true, "msg=trim id=x want_bytes=5", -EBADMSG },
		{ true, "msg=trim id=1 want_bytes=5 deadline_ms=soon", -EBADMSG },
		{ true, "msg=trim id=1 want_bytes=5 pid=0x10", -EBADMSG },
		{ true, "msg=trim id=1 want_bytes=5 id=2", -EBADMSG },
		{ true, "msg=trim id=1 want_bytes=5 cgroup=\\9", -EBADMSG },
		{ true, "msg=level cgroup=/ old_level=low", -EBADMSG },
	};
	struct mp_msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, connect_client(self));
		ASSERT_EQ(0, mp_client_set_trim_handler(self->c, on_trim, self));
		ASSERT_EQ(0, mp_client_set_level_handler(self->c, on_level, self));
		if (cases[i].welcomed) {
			ASSERT_EQ(1, welcome(self));
		} else {
			ASSERT_EQ(0, daemon_recv(self, &m, NULL, 0));
		}
		daemon_send(self, cases[i].packet);
		ASSERT_EQ(cases[i].err, mp_client_process(self->c))
			TH_LOG("case %zu: %s", i, cases[i].packet);
		ASSERT_EQ(cases[i].err, mp_client_process(self->c));
		ASSERT_EQ(0, self->trims);
		ASSERT_EQ(0, self->levels);
		ASSERT_EQ(-EAGAIN, daemon_recv(self, &m, NULL, 0));
	}

	/* Longer than a message may be, and a NUL byte. */
	{
		char big[MEMPRESSURED_MSG_MAX + 100];

		ASSERT_EQ(0, connect_client(self));
		ASSERT_EQ(1, welcome(self));
		memset(big, 'a', sizeof(big));
		memcpy(big, "msg=level level=low cgroup=", 27);
		ASSERT_EQ((ssize_t)sizeof(big), send(self->conn, big, sizeof(big), 0));
		ASSERT_EQ(-EBADMSG, mp_client_process(self->c));

		ASSERT_EQ(0, connect_client(self));
		ASSERT_EQ(1, welcome(self));
		ASSERT_EQ(29, send(self->conn, "msg=level level=low cgroup=/\0", 29, 0));
		ASSERT_EQ(-EBADMSG, mp_client_process(self->c));
	}
}

/*
 * A daemon that does not read: replies wait in order, POLLOUT is asked
 * for, and the next mp_client_process() sends them.
 */
TEST_F(daemon, replies_wait_while_the_socket_is_full)
{
	int fd = mp_client_fd(self->c), sndbuf = 1, sent = 0, queued = 0;
	struct mp_msg m;
	uint64_t id, expect = 0;
	int r;

	ASSERT_EQ(1, welcome(self));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	while (!(mp_client_events(self->c) & POLLOUT) && sent < 10000) {
		ASSERT_EQ(0, mp_client_report(self->c, (uint64_t)sent, 1));
		sent++;
	}
	ASSERT_EQ(POLLIN | POLLOUT, mp_client_events(self->c));
	/* The queue is bounded. */
	while ((r = mp_client_report(self->c, (uint64_t)(sent + queued), 1)) == 0)
		queued++;
	ASSERT_EQ(-ENOBUFS, r);
	ASSERT_LT(0, queued);

	/* What the socket took comes first, then the queue, in order. */
	while (daemon_recv(self, &m, NULL, 0) == 0) {
		ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id));
		ASSERT_EQ(expect++, id);
	}
	while (mp_client_events(self->c) & POLLOUT) {
		ASSERT_EQ(0, mp_client_process(self->c));
		while (daemon_recv(self, &m, NULL, 0) == 0) {
			ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id));
			ASSERT_EQ(expect++, id);
		}
	}
	ASSERT_EQ((uint64_t)(sent + queued), expect);
	ASSERT_EQ(POLLIN, mp_client_events(self->c));
}

TEST_F(daemon, the_socket_path_comes_from_the_environment)
{
	struct mp_client *c = NULL;
	int conn;

	ASSERT_EQ(0, setenv("MEMPRESSURED_SOCKET", self->path, 1));
	ASSERT_EQ(0, mp_client_new(&c, "env", NULL));
	conn = accept4(self->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, conn);
	close(conn);
	mp_client_free(c);
}

TEST(connecting_fails_cleanly)
{
	char dir[] = "/tmp/test_lib.XXXXXX", path[128], name[2048];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mp_client *c = NULL;
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/absent", dir);
	ASSERT_EQ(-ENOENT, mp_client_new(&c, "x", path));

	/* A socket nobody listens on: a daemon that died. */
	snprintf(path, sizeof(path), "%s/dead", dir);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	ASSERT_EQ(-ECONNREFUSED, mp_client_new(&c, "x", path));
	unlink(path);
	rmdir(dir);

	ASSERT_EQ(-EINVAL, mp_client_new(&c, NULL, path));
	ASSERT_EQ(-EINVAL, mp_client_new(&c, "", path));
	ASSERT_EQ(-EINVAL, mp_client_new(NULL, "x", path));
	ASSERT_EQ(-EINVAL, mp_client_new(&c, "x", ""));
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ASSERT_EQ(-ENAMETOOLONG, mp_client_new(&c, name, path));
	name[200] = '\0';
	ASSERT_EQ(-ENAMETOOLONG, mp_client_new(&c, "x", name));
	ASSERT_NULL(c);
}

TEST(null_handles)
{
	const char *s;
	pid_t pid;

	ASSERT_EQ(-EINVAL, mp_client_fd(NULL));
	ASSERT_EQ(-EINVAL, mp_client_events(NULL));
	ASSERT_EQ(-EINVAL, mp_client_process(NULL));
	ASSERT_EQ(-EINVAL, mp_client_report(NULL, 1, 1));
	ASSERT_EQ(-EINVAL, mp_client_set_trim_handler(NULL, NULL, NULL));
	ASSERT_EQ(-EINVAL, mp_client_set_level_handler(NULL, NULL, NULL));
	ASSERT_EQ(-EINVAL, mp_client_get_pid(NULL, &pid));
	ASSERT_EQ(-EINVAL, mp_client_get_error(NULL, &s));
	mp_client_free(NULL);
}

TEST(names)
{
	ASSERT_STREQ("none", mp_level_name(MP_LEVEL_NONE));
	ASSERT_STREQ("critical", mp_level_name(MP_LEVEL_CRITICAL));
	ASSERT_NULL(mp_level_name(MP_LEVEL_UNKNOWN));
	ASSERT_NULL(mp_level_name(MP_LEVEL_CRITICAL + 1));
	ASSERT_STREQ("soft", mp_trim_reason_name(MP_TRIM_REASON_SOFT));
	ASSERT_STREQ("leak", mp_trim_reason_name(MP_TRIM_REASON_LEAK));
	ASSERT_NULL(mp_trim_reason_name(MP_TRIM_REASON_LEAK + 1));
	ASSERT_STREQ("usage", mp_level_reason_name(MP_LEVEL_REASON_USAGE));
	ASSERT_STREQ("calm", mp_level_reason_name(MP_LEVEL_REASON_CALM));
	ASSERT_NULL(mp_level_reason_name(MP_LEVEL_REASON_UNKNOWN));
}

TEST_HARNESS_MAIN
