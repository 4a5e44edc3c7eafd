/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_PROCFS_H
#define _MP_PROCFS_H

int mp_procfs_create(void);
void mp_procfs_remove(void);

#endif /* _MP_PROCFS_H */
