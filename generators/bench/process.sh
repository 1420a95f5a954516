#!/usr/bin/env bash
# process.sh BIN RUNS OUTDIR NAME=SPEC_DIR...
#
# Times `BIN generate` as a whole process on each spec, RUNS times, with GNU
# time (/usr/bin/time -v; Debian package "time"), into an emptied OUTDIR each
# run so every run writes every file. Prints each run and the medians of wall
# time, CPU time (user + sys) and peak resident memory. Never fails on a
# figure: it measures, it does not judge.
set -euo pipefail
bin=$1 runs=$2 outdir=$3
shift 3

if [ ! -x /usr/bin/time ]; then
	echo "process timings: /usr/bin/time not found (apt-get install time); skipping"
	exit 0
fi

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

printf '%-12s %5s %10s %10s %12s\n' spec run wall_s cpu_s peak_MiB
for arg in "$@"; do
	name=${arg%%=*} spec=${arg#*=}
	: >"$outdir/$name.times"
	for i in $(seq 1 "$runs"); do
		rm -rf "$outdir/out-$name"
		/usr/bin/time -v -o "$outdir/$name.run" "$bin" generate --quiet -o "$outdir/out-$name" "$spec" >/dev/null
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(j=1;j<=n;j++) s=s*60+p[j]; print s}' "$outdir/$name.run")
		cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$outdir/$name.run")
		rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$outdir/$name.run")
		echo "$wall $cpu $rss" >>"$outdir/$name.times"
		printf '%-12s %5d %10s %10s %12s\n' "$name" "$i" "$wall" "$cpu" "$rss"
	done
	files=$(find "$outdir/out-$name" -type f | wc -l)
	bytes=$(du -sb "$outdir/out-$name" | cut -f1)
	printf '%-12s %5s %10s %10s %12s   (%d files, %.1f MiB written)\n' "$name" median \
		"$(cut -d' ' -f1 "$outdir/$name.times" | median)" \
		"$(cut -d' ' -f2 "$outdir/$name.times" | median)" \
		"$(cut -d' ' -f3 "$outdir/$name.times" | median)" \
		"$files" "$(awk -v b="$bytes" 'BEGIN {print b/1048576}')"
done
