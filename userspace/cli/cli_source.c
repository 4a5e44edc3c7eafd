// SPDX-License-Identifier: GPL-2.0
/* The CLI's inputs (cli_source.h): procfs files, the daemon, the control file. */
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

#include <linux/mempressure.h>

#include "cli_source.h"

/* How long the daemon may take to answer the status query. */
#define DAEMON_TIMEOUT_MS	5000
/* A bound on its replies: one per cgroup episode, application, subscriber. */
#define DAEMON_MSGS_MAX		65536

const char *cli_proc_dir(void)
{
	const char *dir = getenv("MEMPRESSURE_PROC");

	return dir && *dir ? dir : MEMPRESSURE_PROC_PATH;
}

const char *cli_proc_file(const char *file, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", cli_proc_dir(), file);
	return out;
}

bool cli_module_loaded(void)
{
	return access(cli_proc_dir(), F_OK) == 0;
}

int cli_read_status(char **buf, size_t *len)
{
	char path[512];

	return mp_read_file(cli_proc_file(MEMPRESSURE_FILE_STATUS, path, sizeof(path)), buf, len);
}

const char *cli_daemon_socket(const char *path)
{
	const char *env = getenv("MEMPRESSURED_SOCKET");

	if (path)
		return path;
	return env && *env ? env : MEMPRESSURED_SOCKET;
}

static int daemon_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int daemon_recv(int fd, struct mp_msg *m)
{
	char buf[MEMPRESSURED_MSG_MAX + 1];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, DAEMON_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if (n > MEMPRESSURED_MSG_MAX)
		return -EPROTO;
	return mp_msg_parse(buf, (size_t)n, m) ? -EPROTO : 0;
}

int cli_daemon_status(const char *path, struct cli_daemon *d)
{
	struct mp_msg_out out;
	int fd, err, len;

	memset(d, 0, sizeof(*d));
	fd = daemon_connect(cli_daemon_socket(path));
	if (fd < 0)
		return fd;
	mp_msg_begin(&out, MEMPRESSURED_MSG_STATUS);
	len = mp_msg_end(&out);
	if (send(fd, out.buf, (size_t)len, MSG_NOSIGNAL) < 0) {
		err = -errno;
		goto fail;
	}
	for (;;) {
		struct mp_msg **msgs, *m;

		if (d->nr == DAEMON_MSGS_MAX) {
			err = -EPROTO;
			goto fail;
		}
		msgs = realloc(d->msgs, (d->nr + 1) * sizeof(*msgs));
		if (!msgs) {
			err = -ENOMEM;
			goto fail;
		}
		d->msgs = msgs;
		m = calloc(1, sizeof(*m));
		if (!m) {
			err = -ENOMEM;
			goto fail;
		}
		err = daemon_recv(fd, m);
		/* The daemon drops a client that may not ask, after saying why. */
		if (err == -ECONNRESET && d->nr && d->msgs[d->nr - 1]->type == MEMPRESSURED_MSG_ERROR)
			err = -EACCES;
		if (!err && m->type != MEMPRESSURED_MSG_STATUS && m->type != MEMPRESSURED_MSG_END &&
		    m->type != MEMPRESSURED_MSG_ERROR)
			err = -EPROTO;
		if (err || m->type == MEMPRESSURED_MSG_END) {
			free(m);
			if (err)
				goto fail;
			break;
		}
		d->msgs[d->nr++] = m;
	}
	close(fd);
	return 0;

fail:
	close(fd);
	cli_daemon_free(d);
	return err;
}

void cli_daemon_free(struct cli_daemon *d)
{
	for (size_t i = 0; i < d->nr; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

int cli_control_write(const char *cmd)
{
	char path[512];
	size_t len = strlen(cmd);
	ssize_t n;
	int fd = open(cli_proc_file(MEMPRESSURE_FILE_CONTROL, path, sizeof(path)),
		      O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}
