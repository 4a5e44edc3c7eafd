/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_CONTROL_H
#define _MP_CONTROL_H

#include <linux/proc_fs.h>

int mp_control_create_file(struct proc_dir_entry *dir);

#endif /* _MP_CONTROL_H */
