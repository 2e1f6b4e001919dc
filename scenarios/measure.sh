#!/bin/bash
# measure.sh: how reliably each lesson shows its anomaly, and how fast.
#
# Runs every buggy case (the anomaly must show) and every fixed case (it
# must not) RUNS times at default settings with --json, and prints one row
# per case: the runs, how many showed the anomaly, how many exited with
# something other than 0 or 1, and the slowest and mean wall time of one
# whole program run (fork to exit, measured here, not the program's own
# elapsed_s).  Not run by `make check`: 1500 runs take a minute or two.
#
# usage: scenarios/measure.sh [BINDIR] [RUNS]    (default: this dir, 100)
# exit: 0 if every buggy case showed its anomaly in every run and no fixed
# case showed one, 1 otherwise, 2 bad usage.
set -u

bin=${1:-$(dirname "$0")}
runs=${2:-100}

case $runs in
'' | *[!0-9]* | 0)
	echo "measure.sh: RUNS: \"$runs\" is not a positive number" >&2
	exit 2
	;;
esac
for l in race stale deadlock crash; do
	if [ ! -x "$bin/banklab-$l" ]; then
		echo "measure.sh: $bin/banklab-$l: not an executable" >&2
		exit 2
	fi
done
# The lessons' default variant must not come from the caller.
unset BANKLAB_SYNC

# lesson variant expectation (bug: the anomaly must show; fix: it must not)
cases="
race none bug
stale robust bug
stale none bug
deadlock robust bug
crash semaphore bug
crash none bug
race ordered fix
race semaphore fix
race robust fix
stale ordered fix
stale semaphore fix
deadlock ordered fix
deadlock semaphore fix
crash robust fix
crash ordered fix
"

out=$(mktemp "${TMPDIR:-/tmp}/measure.XXXXXX") || exit 3
trap 'rm -f "$out"' EXIT
status=0

echo "# $(uname -n), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %-4s %5s %8s %6s %10s %10s\n' case kind runs anomaly "odd" \
    "slowest_s" "mean_s"
while read -r lesson sync kind; do
	[ -n "$lesson" ] || continue
	shown=0 missed=0 odd=0 slowest=0 total=0
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$bin/banklab-$lesson" --sync "$sync" --json >"$out" 2>&1
		rc=$?
		t1=$(date +%s%N)
		ns=$((t1 - t0))
		total=$((total + ns))
		((ns > slowest)) && slowest=$ns
		# exit 1 and "anomaly":true go together; anything else is odd.
		if [ "$rc" -eq 1 ] && grep -q '"anomaly":true' "$out"; then
			shown=$((shown + 1))
			if [ "$kind" = fix ] && [ "$shown" -le 2 ]; then
				echo "measure.sh: $lesson/$sync: anomaly: $(head -c 400 "$out")" >&2
			fi
		elif [ "$rc" -eq 0 ] && [ "$kind" = bug ] &&
		    grep -q '"anomaly":false' "$out"; then
			missed=$((missed + 1))
			if [ "$missed" -le 2 ]; then
				echo "measure.sh: $lesson/$sync: not shown: $(head -c 400 "$out")" >&2
			fi
		elif [ "$rc" -ne 0 ] || ! grep -q '"anomaly":false' "$out"; then
			odd=$((odd + 1))
			echo "measure.sh: $lesson/$sync: exit $rc: $(head -c 300 "$out")" >&2
		fi
	done
	printf '%-20s %-4s %5d %8d %6d %10s %10s\n' "$lesson/$sync" "$kind" \
	    "$runs" "$shown" "$odd" \
	    "$(awk -v n="$slowest" 'BEGIN { printf "%.3f", n / 1e9 }')" \
	    "$(awk -v n="$total" -v r="$runs" 'BEGIN { printf "%.3f", n / r / 1e9 }')"
	if [ "$kind" = bug ] && [ "$shown" -ne "$runs" ]; then
		status=1
	fi
	if [ "$kind" = fix ] && { [ "$shown" -ne 0 ] || [ "$odd" -ne 0 ]; }; then
		status=1
	fi
done <<EOF
$cases
EOF
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
