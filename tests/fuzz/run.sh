#!/bin/sh
# run.sh SEEDS BUILD SECONDS TARGET...: `make fuzz`.  Runs each
# BUILD/fuzz-TARGET for SECONDS on a copy of SEEDS/TARGET/ (the source tree
# is only read), with its corpus, findings and log in BUILD/work/TARGET/,
# then prints one line per target.  Exit 1 if any target has a finding (a
# crash-, leak-, timeout- or oom- file) or did not end cleanly.
set -u
seeds=$1 build=$2 secs=$3
shift 3
case $secs in
''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS: \"$secs\" is not a number" >&2
	exit 2 ;;
esac

status=0
summary=
for t in "$@"; do
	work=$build/work/$t
	mkdir -p "$work/corpus" "$work/findings" || exit 2
	cp "$seeds/$t"/* "$work/corpus/" || exit 2
	echo "fuzz-$t: ${secs} s, log in $work/log"
	"$build/fuzz-$t" -max_total_time="$secs" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$work/findings/" \
	    "$work/corpus" >"$work/log" 2>&1
	rc=$?
	# libFuzzer's final statistics; "Done N runs in S second(s)".
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' \
	    "$work/log")
	files=$(ls "$work/corpus" | wc -l)
	found=$(ls "$work/findings" | grep -c -E '^(crash|leak|timeout|oom)-')
	line="fuzz-$t: ${execs:-?} executions in ${took:-?} s (${rate:-?}/s),"
	line="$line corpus $files files, $found findings"
	if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
		status=1
		line="$line (exit $rc; see $work/log, $work/findings/)"
	fi
	summary="$summary$line
"
done
printf '%s' "$summary"
exit $status
