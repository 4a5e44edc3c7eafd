/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the CLI's data comes from: the module's files and mempressured's
 * status query.  Parsing is mp_table.c's and mp_proto.c's; this only reads,
 * connects and writes.  Errors are -errno.
 */
#ifndef CLI_SOURCE_H
#define CLI_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mp_proto.h"
#include "mp_table.h"

/*
 * The module's directory: MEMPRESSURE_PROC_PATH, or $MEMPRESSURE_PROC (for
 * tests that feed fixture files).  cli_proc_file() gives a file's path;
 * mp_table_read(cli_proc_dir(), file, t) reads a table, -ENOENT when the
 * module is not loaded.
 */
const char *cli_proc_dir(void);
const char *cli_proc_file(const char *file, char *out, size_t size);
bool cli_module_loaded(void);
/* The status file, NUL-terminated, for mp_kv_get*(); the caller frees. */
int cli_read_status(char **buf, size_t *len);

/*
 * The replies to msg=status, in the order the daemon sent them.  Each is
 * allocated on its own: a parsed message points into itself.
 */
struct cli_daemon {
	struct mp_msg **msgs;
	size_t nr;
};

/*
 * Ask mempressured at @path (NULL: $MEMPRESSURED_SOCKET or the default)
 * for its status.  -ENOENT or -ECONNREFUSED: not running; -EACCES: it
 * refused (not root); -ETIMEDOUT; -EPROTO: a reply that does not parse.
 */
int cli_daemon_status(const char *path, struct cli_daemon *d);
void cli_daemon_free(struct cli_daemon *d);
const char *cli_daemon_socket(const char *path);

/* One write(2) of @cmd to the control file: 0 or the kernel's -errno. */
int cli_control_write(const char *cmd);

#endif /* CLI_SOURCE_H */
