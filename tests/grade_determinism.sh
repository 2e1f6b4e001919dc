#!/bin/sh
# grade_determinism.sh [RUNS] [BUILDDIR]: grade the solutions RUNS times
# (default 100) and every mutant RUNS/10 times (at least 1), and print how
# many distinct scores each got: the graders must give the same score
# every time.  Not part of make check (it takes minutes).
runs=${1:-100}
build=${2:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-det.XXXXXX") || exit 3
trap 'rm -rf "$tmp"' EXIT INT TERM
score() {	# score DIR [GRADE_ARGS] -> "score/max"
	make -s -C "$build" grade EXERCISES="$1" GRADE_OUT="$tmp/out" \
	    GRADE_ARGS="${2:-}" >/dev/null 2>&1
	sed -n 's/^{"score": \([0-9]*\), "max_score": \([0-9]*\).*/\1\/\2/p' \
	    "$tmp/out/results.json"
}
tally() {	# tally NAME DIR N [GRADE_ARGS]
	i=0
	: >"$tmp/scores"
	while [ "$i" -lt "$3" ]; do
		score "$2" "${4:-}" >>"$tmp/scores"
		i=$((i + 1))
	done
	printf '%-22s %4d runs: %s\n' "$1" "$3" \
	    "$(sort "$tmp/scores" | uniq -c | tr -s ' ' | tr '\n' ';')"
}
tally solutions "$src/solutions" "$runs"
mruns=$((runs / 10))
[ "$mruns" -ge 1 ] || mruns=1
for m in "$src"/tests/mutants/*/; do
	name=$(basename "$m")
	mkdir -p "$tmp/$name"
	cp "$src"/solutions/*.c "$tmp/$name/"
	cp "$m"/*.c "$tmp/$name/"
	case $(ls "$m") in
	semaphore.c) ex=1 ;; ordered.c) ex=2 ;; repair.c) ex=3 ;; *) ex=4 ;;
	esac
	tally "$name" "$tmp/$name" "$mruns" "-e $ex"
done
