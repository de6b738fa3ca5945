#!/usr/bin/env bash
# tests/bench/plot.sh FIGURES.tsv OUT.png: draws the benchmark's figures (written by
# tests/bench/run.sh) with gnuplot: the time of restore, list and save, ours against the
# reference and the kernel's floor, and of the machine outputs (`-Ln --json`, `--metrics`,
# one exporter scrape) against our `-Ln` and the list floor, each against the table's size,
# both axes logarithmic. gnuplot comes from Debian (gnuplot-nox, through tests/apt.sh).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: plot.sh FIGURES.tsv OUT.png" >&2; exit 2; }
figures=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v gnuplot >/dev/null; then
	# shellcheck source=tests/apt.sh
	. "$here/../apt.sh"
	apt_install gnuplot-nox
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
# One file per operation and implementation: services, median seconds.
awk -F'\t' -v dir="$data" 'NR > 1 && $5 > 0 {
	f = dir "/" $3 "-" $4; print $1, $5 >f
}' "$figures"
for f in "$data"/*; do sort -n -o "$f" "$f"; done
have() { [ -s "$data/$1" ]; }

# series OPERATION:IMPLEMENTATION:TITLE:STYLE ...: one panel's plot command.
series() {
	local cmd="" spec op impl title style
	for spec in "$@"; do
		IFS=: read -r op impl title style <<<"$spec"
		have "$op-$impl" || continue
		cmd="$cmd${cmd:+, }'$data/$op-$impl' using 1:2 with linespoints $style title '$title'"
	done
	[ -n "$cmd" ] && echo "plot $cmd" || echo "plot 1/0 notitle"
}
# The machine outputs' panel only when the run measured them (an older build may not have).
panels=3 layout="1,3" size="1800,620"
if have json-ours || have metrics-ours || have scrape-ours; then
	panels=4 layout="2,2" size="1400,1000"
fi
ref='lw 2 pt 7 lc rgb "#c0392b"'
ours='lw 2 pt 5 lc rgb "#1f6fb2"'
floor='lw 2 pt 9 dt 2 lc rgb "#555555"'
{
	cat <<GP
set terminal pngcairo size $size font "DejaVu Sans,11"
set output '$out'
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set xlabel "virtual services"
set ylabel "seconds (median)"
set key top left
set format x "%.0s%c"
set multiplot layout $layout title "ipvsadm, ours against the reference (Debian's ipvsadm 1.31) and the kernel's floor, one VM boot"
set title "restore: ipvsadm -R"
$(series "restore:ref:reference:$ref" "restore:ours:ours:$ours" "restore:floor:kernel floor (batched, pre-parsed):$floor")
set title "list: ipvsadm -Ln"
$(series "list:ref:reference:$ref" "list:ours:ours:$ours" "list:floor:kernel floor (dumps only):$floor")
set title "save: ipvsadm -Sn"
$(series "save:ref:reference:$ref" "save:ours:ours:$ours" "save:floor:kernel floor (dumps only):$floor")
GP
	if [ "$panels" = 4 ]; then
		echo 'set title "machine outputs (ours)"'
		series "list:ours:-Ln:$ours" "json:ours:-Ln --json:lw 2 pt 13 lc rgb \"#27ae60\"" \
			"metrics:ours:--metrics:lw 2 pt 11 lc rgb \"#8e44ad\"" \
			"scrape:ours:exporter scrape:lw 2 pt 15 lc rgb \"#e67e22\"" "list:floor:list floor:$floor"
	fi
	echo "unset multiplot"
} >"$data/plot.gp"
gnuplot "$data/plot.gp"
echo "picture: $out"
