// SPDX-License-Identifier: GPL-2.0
/*
 * Probes on tracepoints found by name.  The tracepoints mempressure uses are
 * not exported to modules, so for_each_kernel_tracepoint() finds them and
 * tracepoint_probe_register() attaches to them; the probes' prototypes are
 * checked at build time by the callers (static_assert on the
 * register_trace_*() helpers).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>

#include "probes.h"

struct mp_probe_table {
	struct mp_probe *probes;
	int nr;
};

static void mp_find_tracepoint(struct tracepoint *tp, void *priv)
{
	struct mp_probe_table *table = priv;
	int i;

	for (i = 0; i < table->nr; i++)
		if (!strcmp(tp->name, table->probes[i].name))
			table->probes[i].tp = tp;
}

/* Look the tracepoints up; how many of them the kernel lacks. */
int mp_probes_find(struct mp_probe *probes, int nr)
{
	struct mp_probe_table table = { probes, nr };
	int i, missing = 0;

	for_each_kernel_tracepoint(mp_find_tracepoint, &table);
	for (i = 0; i < nr; i++)
		missing += !probes[i].tp;
	return missing;
}

/* Attach every probe whose tracepoint was found; all or none. */
int mp_probes_attach(struct mp_probe *probes, int nr)
{
	int i, err;

	for (i = 0; i < nr; i++) {
		struct mp_probe *p = &probes[i];

		if (!p->tp)
			continue;
		err = tracepoint_probe_register(p->tp, p->probe, NULL);
		if (err) {
			pr_err("cannot attach to %s: %d\n", p->name, err);
			mp_probes_detach(probes, nr);
			return err;
		}
		p->attached = true;
	}
	return 0;
}

/* After this, no probe of @probes runs. */
void mp_probes_detach(struct mp_probe *probes, int nr)
{
	int i;

	/* Only what was attached: a probe found but not yet attached is not. */
	for (i = 0; i < nr; i++) {
		if (probes[i].attached)
			tracepoint_probe_unregister(probes[i].tp,
						    probes[i].probe, NULL);
		probes[i].attached = false;
		probes[i].tp = NULL;
	}
	tracepoint_synchronize_unregister();
}
