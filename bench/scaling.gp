# SPDX-License-Identifier: GPL-2.0
# make bench-plot: the scaling curves of make bench (bench_sampling's
# "scaling:" lines, gathered by scripts/bench) as docs/performance-scaling.png.
# Usage: gnuplot -e "data='FILE'; out='PNG'" bench/scaling.gp
# data: KIND N NS_PER_UNIT SPREAD_PCT BYTES_PER_UNIT, KIND proc (full walk),
# proc_idle (steady sample) or cg.
set terminal pngcairo size 1100,450 font ",10"
set output out
set multiplot layout 1,2 title "mempressure: sampling cost as the host grows (instruction counting, guest ns = instructions)"
set logscale x
set grid
set key below
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
sel(k) = strcol(1) eq k ? $2 : NaN

set title "per process"
set xlabel "processes"
set ylabel "ns per process per sample"
set y2label "module bytes per process"
plot data using (sel("proc")):3 with linespoints lw 2 title "full walk (every process read)", \
     data using (sel("proc_idle")):3 with linespoints lw 2 title "steady sample (nothing changed)", \
     data using (sel("proc")):5 axes x1y2 with linespoints dt 2 title "bytes per process"

set title "per cgroup"
set xlabel "cgroups"
set ylabel "ns per cgroup per sample"
set y2label "module bytes per cgroup"
plot data using (sel("cg")):3 with linespoints lw 2 title "sample time per cgroup", \
     data using (sel("cg")):5 axes x1y2 with linespoints dt 2 title "bytes per cgroup"
unset multiplot
