#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo, inside the VM: load the module, run a small workload in a
# cgroup with memory.high set, show the tables a few seconds apart, and the
# events the module raised meanwhile.

cg=/sys/fs/cgroup/demo
show() {
	echo
	echo "----- $1 -----"
	echo "\$ cat /proc/mempressure/status"
	cat /proc/mempressure/status
	echo
	echo "\$ cat /proc/mempressure/processes"
	cat /proc/mempressure/processes
	echo
	echo "\$ cat /proc/mempressure/cgroups"
	cat /proc/mempressure/cgroups
}

echo "mempressure demo on $(uname -r), $(nproc) CPUs"
echo "\$ insmod mempressure.ko interval_ms=500"
insmod /mp/mempressure.ko interval_ms=500 || exit 1
dmesg | grep mempressure | tail -1

mkdir $cg
echo 96M > $cg/memory.high
echo 160M > $cg/memory.max
echo "cgroup /demo: memory.high=96M memory.max=160M"

# The event stream, from now on, in the background.
cat /proc/mempressure/events > /tmp/events &
reader=$!
echo "\$ echo 'soft /demo 64M ...; set leak_window 10' > /proc/mempressure/control"
printf 'soft /demo %s\nset leak_window 10\n' $((64 << 20)) > /proc/mempressure/control || exit 1
echo "\$ cat /proc/mempressure/control"
cat /proc/mempressure/control
echo "starting 'grower' (8 MiB, then +4 MiB/s for 30 s) and 'steady' (24 MiB)"
sh -c "echo \$\$ > $cg/cgroup.procs; exec memhog -n grower -i 8M -r 4M -t 30" &
sh -c "echo \$\$ > $cg/cgroup.procs; exec memhog -n steady -i 24M" &

for t in 4 12 24; do
	sleep $((t - ${last:-0}))
	last=$t
	show "after $t s"
done

echo
echo "grower's growth rates approach 4194304 bytes/s while steady's stay at 0;"
echo "/demo's usage grows as fast, and events_high counts memory.high throttling"
echo "once it passes 96M."
echo
echo "\$ cat /proc/mempressure/events    (what a reader saw meanwhile)"
kill $reader
cat /tmp/events
echo "\$ rmmod mempressure"
kill %1 %2 2>/dev/null
rmmod mempressure && echo "unloaded"
