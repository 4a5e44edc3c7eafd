// SPDX-License-Identifier: BSD-2-Clause

// Package mempressure keeps a Go service's memory limit (GOMEMLIMIT)
// where its cgroup needs it, and connects the service to mempressured, the
// daemon that asks the applications of a cgroup under memory pressure to
// give memory back (docs/go.md, docs/protocol.md).
//
// Alone, it does what automemlimit does: GOMEMLIMIT at 90 % of the
// cgroup's memory.high or memory.max (the lowest of the cgroup and its
// ancestors, cgroup v2), following them when they change.  With the
// daemon, the limit follows the cgroup's soft limit too, trims free memory
// (caches through their Shrinker, a collection, pages returned to the
// kernel), and the daemon hears what they freed.  Either way the limit
// never goes below what keeps the collector's cost bounded (the live heap,
// a tenth more and 16 MiB): a cgroup that asks for less than the service
// holds live is told so, and the rest is left to the service's shrinkers,
// to the daemon and to the kernel, instead of a GC running back to back.
//
//	c, err := mempressure.Subscribe(ctx,
//		mempressure.WithHandler(mempressure.NewRuntimeHandler(cache)))
//	if err != nil {
//		return err // an invalid option: nothing else fails here
//	}
//	defer c.Close(context.Background())
//
// Subscribing never makes the service depend on the daemon: a daemon that
// cannot be reached is said once through the logger, shown by State, and
// tried again in the background.  The package uses only the standard
// library.
package mempressure
