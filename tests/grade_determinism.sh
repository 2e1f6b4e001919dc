#!/bin/sh
# grade_determinism.sh [RUNS] [BUILDDIR]: grade the solutions, the stubs
# and every correct alternative (tests/alternatives/*.patch) RUNS times
# each (default 20; an alternative on its own exercise), and every mutant (tests/mutants/*.patch) RUNS/10
# times on its own exercise (at least once), and print the distinct scores
# each got: "40/40 x20" is the only right line for the first three, and a
# mutant must never reach its exercise's maximum.  `make grade-determinism`
# runs it; it takes minutes, so `make check` grades each once instead.
runs=${1:-20}
build=${2:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-det.XXXXXX") || exit 3
trap 'rm -rf "$tmp"' EXIT INT TERM
score() {	# score DIR [GRADE_ARGS] -> "score/max"
	make -s -C "$build" grade EXERCISES="$1" GRADE_OUT="$tmp/out" \
	    GRADE_ARGS="${2:-}" >/dev/null 2>&1
	jq -r '"\(.score)/\(.max_score)"' "$tmp/out/results.json" 2>/dev/null ||
	    echo "no-results"
}
tally() {	# tally NAME DIR N [GRADE_ARGS]
	i=0
	: >"$tmp/scores"
	while [ "$i" -lt "$3" ]; do
		score "$2" "${4:-}" >>"$tmp/scores"
		i=$((i + 1))
	done
	printf '%-28s %3d runs: %s\n' "$1" "$3" \
	    "$(sort "$tmp/scores" | uniq -c | awk '{printf "%s x%d  ", $2, $1}')"
}
patched() {	# patched PATCH -> a directory of solutions with it applied
	d="$tmp/$(basename "$1" .patch)"
	rm -rf "$d" && mkdir -p "$d" && cp "$src"/solutions/*.c "$d/" &&
	    patch -s -p1 -d "$d" <"$1" && echo "$d"
}
tally solutions "$src/solutions" "$runs"
mkdir -p "$tmp/stubs" && cp "$src"/lab/exercises/*.c "$tmp/stubs/"
tally stubs "$tmp/stubs" "$runs"
exercise() {	# exercise PATCH -> its "Exercise: N"
	sed -n 's/^Exercise: *\([1-4]\).*/\1/p' "$1" | head -n 1
}
for p in "$src"/tests/alternatives/*.patch; do
	[ -f "$p" ] || continue
	tally "alternative $(basename "$p" .patch)" "$(patched "$p")" "$runs" \
	    "-e $(exercise "$p")"
done
mruns=$((runs / 10))
[ "$mruns" -ge 1 ] || mruns=1
for p in "$src"/tests/mutants/*.patch; do
	[ -f "$p" ] || continue
	tally "mutant $(basename "$p" .patch)" "$(patched "$p")" "$mruns" \
	    "-e $(exercise "$p")"
done
