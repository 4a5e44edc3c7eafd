// SPDX-License-Identifier: BSD-2-Clause

// Package mempressure connects a Go service to mempressured, the daemon
// that asks the applications of a cgroup under memory pressure to give
// memory back (docs/protocol.md), and keeps the Go runtime's memory limit
// following the cgroup's soft limit (docs/go.md).
//
//	h := mempressure.NewRuntimeHandler(cache) // cache implements Shrinker
//	c := mempressure.Subscribe(mempressure.Options{
//		Handler:     h,
//		MemoryLimit: &mempressure.MemoryLimit{},
//	})
//	defer c.Close()
//
// Subscribing is optional and never fatal: a service that cannot reach the
// daemon runs as it would without this package, told so once through
// Options.Logf.  The package uses only the standard library; its one
// goroutine is blocked on the socket while no message comes.
package mempressure
