#!/bin/sh
# grade.sh DIR [OUT [GRADER-OPTIONS]]: grade the exercise files in DIR (semaphore.c,
# ordered.c, repair.c, audit.c) without touching the tree: compile them,
# link them ahead of lab/liblab.a into a grader and a banklab worker in a
# temporary directory, run the grader, and leave OUT/results.json
# (Gradescope) and OUT/junit.xml.  Called by `make grade`, which passes the
# compiler and flags in the environment: CC CPPFLAGS CFLAGS LDFLAGS LIBS
# CHECK_LIBS LIBLAB SRCDIR VERSION.  Exit: 0 graded (whatever the score), 2 bad
# usage, 3 the grader could not be built.
set -u
dir=${1:-}
out=${2:-grade-results}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "grade: \"$dir\": not a directory of exercise files" >&2
	exit 2
fi
for f in semaphore ordered repair audit; do
	if [ ! -f "$dir/$f.c" ]; then
		echo "grade: $dir/$f.c: missing" >&2
		exit 2
	fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/banklab-grade.XXXXXX") || exit 3
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out" || exit 3
cc() {
	# shellcheck disable=SC2086
	$CC $CPPFLAGS "-DPACKAGE_VERSION=\"$VERSION\"" -I"$SRCDIR" \
	    -I"$SRCDIR/lab" $CFLAGS "$@"
}
ex=""
for f in semaphore ordered repair audit; do
	if ! cc -c "$dir/$f.c" -o "$work/$f.o" 2>"$work/$f.err"; then
		echo "grade: $dir/$f.c does not compile:" >&2
		cat "$work/$f.err" >&2
		printf '{"score": 0, "output": "%s.c does not compile", "tests": []}\n' \
		    "$f" >"$out/results.json"
		exit 0
	fi
	ex="$ex $work/$f.o"
done
# shellcheck disable=SC2086
cc -c "$SRCDIR/scenarios/banklab.c" -o "$work/banklab.o" &&
cc -c "$SRCDIR/tests/grade.c" -o "$work/grade.o" &&
$CC $CFLAGS $LDFLAGS -o "$work/banklab" "$work/banklab.o" $ex "$LIBLAB" $LIBS &&
$CC $CFLAGS $LDFLAGS -o "$work/grade" "$work/grade.o" $ex "$LIBLAB" $CHECK_LIBS $LIBS ||
    { echo "grade: cannot build the grader" >&2; exit 3; }
echo "grading $dir"
BANKLAB_WORKER="$work/banklab" BANKLAB_SCHEDULES="$SRCDIR/scenarios/schedules" \
    "$work/grade" -j "$out/results.json" -x "$out/junit.xml" ${3:-}
echo "wrote $out/results.json and $out/junit.xml"
