#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo, inside the VM: the whole story in about a minute.
#
# Two cgroups run the same workload, side by side: a cache that grows at
# 6 MiB/s (cache-demo, subscribed to mempressured through libmempressure)
# and a leak of 3 MiB/s (memhog).  Both have memory.high 144M and memory.max
# 160M, and a soft limit of 96M set with the CLI.  mempressured protects
# /demo (kill of a leak suspect opted in); in /alone it only watches (dry
# run) and the cache there has no daemon to talk to: what happens today.

export NO_COLOR=1
bin=/mp/bin
cgs="demo alone"

say() {
	echo
	echo "=== $(uptime_s) s: $*"
}
start=$(cut -d. -f1 /proc/uptime)
uptime_s() {
	echo $(($(cut -d. -f1 /proc/uptime) - start))
}
run() {
	echo "\$ $*"
	"$@"
}
# Runs a command in cgroup $1 and prefixes its lines with $2.
in_cg() {
	cg=$1 tag=$2
	shift 2
	sh -c "echo \$\$ > /sys/fs/cgroup/$cg/cgroup.procs; exec \"\$@\"" sh "$@" 2>&1 |
		while IFS= read -r l; do echo "  [$tag] $l"; done &
}

echo "mempressure demo on $(uname -r), $(nproc) CPUs"
say "load the module and see what it sees"
run insmod /mp/mempressure.ko interval_ms=500 || exit 1
run $bin/mempressure set leak_window 10 || exit 1

for cg in $cgs; do
	mkdir /sys/fs/cgroup/$cg
	echo 0 >/sys/fs/cgroup/$cg/memory.swap.max 2>/dev/null
	echo 144M >/sys/fs/cgroup/$cg/memory.high
	echo 160M >/sys/fs/cgroup/$cg/memory.max
	run $bin/mempressure soft set /$cg 96M || exit 1
done
echo "(both: memory.high 144M, memory.max 160M, soft limit 96M)"

cat >/tmp/mempressured.conf <<EOF
[daemon]
deadline_ms = 500
grace_ms = 3000
clamp_ms = 15000
systemd_socket = -
[cgroup /demo]
kill = yes
[cgroup /alone]
dry_run = yes
EOF
say "start mempressured: it protects /demo and only watches /alone"
cat /tmp/mempressured.conf | sed 's/^/    /'
mkdir -p /run
# Its log, less what concerns /alone (it only watches there) and the
# host as a whole (the VM is small: / reaches its levels too).
$bin/mempressured -c /tmp/mempressured.conf 2>&1 |
	while IFS= read -r l; do
		case ${l#<?>} in *" /alone"* | /alone:* | /:*) ;; *) echo "  [mempressured] ${l#<?>}" ;; esac
	done &
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -S /run/mempressured.sock ] && break
	sleep 0.2
done

say "the same workload in both cgroups: a cache (6 MiB/s) and a leak (3 MiB/s)"
# The module's events as they come, the ones this story is about.
$bin/mempressure events -f 2>&1 |
	while IFS= read -r l; do
		case $l in *soft*|*leak*|*oom*) echo "  [event] $l" ;; esac
	done &
in_cg demo "cache /demo" $bin/cache-demo -n cache -r 6M -m 200M -k 16M
in_cg demo "leak /demo" $bin/memhog -n leaker -i 4M -r 3M -t 60
in_cg alone "cache /alone" $bin/cache-demo -n cache -r 6M -m 200M -k 16M \
	-s /run/nobody-listens.sock
in_cg alone "leak /alone" $bin/memhog -n leaker -i 4M -r 3M -t 60

sleep 12
say "a look at the processes and the cgroups"
echo "\$ mempressure top --once -o pid,comm,cgroup,rss,growth,ttl,leak | head -6"
$bin/mempressure top --once -o pid,comm,cgroup,rss,growth,ttl,leak | head -6
run $bin/mempressure cgroups
sleep 18
say "and again"
echo "\$ mempressure top --once -o pid,comm,cgroup,rss,growth,ttl,leak | head -6"
$bin/mempressure top --once -o pid,comm,cgroup,rss,growth,ttl,leak | head -6
run $bin/mempressure cgroups
sleep 15

say "what mempressured did, and what each application gave back"
run $bin/mempressure apps
echo
echo "=== summary after $(uptime_s) s"
for cg in $cgs; do
	d=/sys/fs/cgroup/$cg
	oom=$(awk '$1 == "oom_kill" { print $2 }' $d/memory.events)
	high=$(awk '$1 == "high" { print $2 }' $d/memory.events)
	peak=$(($(cat $d/memory.peak 2>/dev/null || echo 0) >> 20))
	now=$(($(cat $d/memory.current) >> 20))
	alive=$(for p in $(cat $d/cgroup.procs); do cat /proc/$p/comm; done | sort | tr '\n' ' ')
	printf '/%-6s oom_kill %s, memory.high throttling events %s, peak %s MiB, now %s MiB, alive: %s\n' \
		"$cg" "$oom" "$high" "$peak" "$now" "${alive:-nothing}"
	eval "oom_$cg=$oom high_$cg=$high alive_$cg='$alive'"
done
# What this run shows, from the figures above.
case " $alive_alone " in *" cache-demo "*) cache_alone=alive ;; *) cache_alone=dead ;; esac
case " $alive_demo " in *" cache-demo "*) cache_demo=alive ;; *) cache_demo=dead ;; esac
case " $alive_demo " in *" leaker "*) leak_demo=alive ;; *) leak_demo=dead ;; esac
if [ "$oom_alone" -gt 0 ]; then
	echo "Without mempressure (/alone) the OOM killer struck $oom_alone time(s) after"
	echo "$high_alone memory.high throttling events; the cache is $cache_alone there."
else
	echo "Without mempressure (/alone) nothing was OOM-killed in this run, but it was"
	echo "throttled at memory.high $high_alone times; the cache is $cache_alone there."
fi
if [ "$leak_demo" = dead ] && [ "$oom_demo" = 0 ]; then
	how="the leak was stopped by mempressured, not by the OOM killer"
elif [ "$leak_demo" = dead ]; then
	how="the OOM killer struck $oom_demo time(s) all the same"
else
	how="the leak still runs"
fi
echo "With mempressure (/demo) the cache, asked to trim, is $cache_demo; $how;"
echo "throttled at memory.high $high_demo times."

for cg in $cgs; do
	for p in $(cat /sys/fs/cgroup/$cg/cgroup.procs); do kill $p; done
done
kill $(jobs -p) 2>/dev/null
killall -q mempressured
sleep 1
rmmod mempressure && echo "module unloaded"
