/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_FASTPATH_H
#define _MP_FASTPATH_H

int mp_fastpath_start(void);
void mp_fastpath_stop(void);

#endif /* _MP_FASTPATH_H */
