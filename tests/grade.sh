#!/bin/sh
# grade.sh DIR [OUT [GRADER-OPTIONS]]: grade the exercise files in DIR
# (semaphore.c, ordered.c, repair.c, audit.c) without touching the tree.
# Called by `make grade`, which passes the compiler and flags in the
# environment: CC CPPFLAGS CFLAGS LDFLAGS LIBS CHECK_LIBS LIBLAB LIBCLI SRCDIR
# VERSION.
#
# It builds, in OUT/bin: the grader (OUT/bin/grade, linked with the
# student stubs: it never loads the submission), and for each exercise N
# OUT/bin/eN/: the checks, `banklab`, `banklab-sched` and the lesson a
# failure points to, linked with DIR's file for exercise N and the stubs
# for the other three.  An exercise whose file is missing or does not
# compile gets OUT/bin/eN/error.txt instead, and scores 0; the others are
# graded.  Then the grader runs every check in its own process and writes
# OUT/results.json (Gradescope) and OUT/junit.xml.
#
# GRADE_CACHE=DIR keeps the objects that hold no submission (the grader,
# the stubs, the programs' mains) for the next grading: they are reused
# while newer than their source and than LIBLAB and LIBCLI.
#
# Exit: 0 graded (whatever the score), 2 bad usage (nothing touched), 3 the
# grader itself could not be built.
set -u
dir=${1:-}
out=${2:-grade-results}
args=${3:-}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "grade: \"$dir\": not a directory of exercise files" >&2
	exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/banklab-grade.XXXXXX") || exit 3
trap 'rm -rf "$work"' EXIT INT TERM
cc() {
	# shellcheck disable=SC2086
	$CC $CPPFLAGS "-DPACKAGE_VERSION=\"$VERSION\"" -I"$SRCDIR" \
	    -iquote "$SRCDIR/lab" -iquote "$SRCDIR/tests" $CFLAGS "$@"
}
link() {	# link OUTPUT OBJECTS...: with the library, Check, json-c and MHD
	o=$1
	shift
	# shellcheck disable=SC2086
	$CC $CFLAGS $LDFLAGS -o "$o" "$@" "$LIBCLI" "$LIBLAB" $CHECK_LIBS $LIBS
}
files="semaphore ordered repair audit"
lessons="race deadlock storm stale"	# what each exercise's failures run

# The grader's own objects and the stubs: no submission in them.
mkdir -p "$work/o" "$work/bin" || exit 3
cache=${GRADE_CACHE:-$work/o}
mkdir -p "$cache" || exit 3
common() {	# common SRC NAME: $work/o/NAME.o, from the cache if fresh
	if [ ! "$cache/$2.o" -nt "$1" ] || [ ! "$cache/$2.o" -nt "$LIBLAB" ] ||
	    [ ! "$cache/$2.o" -nt "$LIBCLI" ]; then
		cc -c "$1" -o "$cache/$2.o.$$" && mv -f "$cache/$2.o.$$" "$cache/$2.o" ||
		    { rm -f "$cache/$2.o.$$"; return 1; }
	fi
	[ "$cache" = "$work/o" ] || cp "$cache/$2.o" "$work/o/$2.o"
}
for f in grade_main grade_checks grade_util grade_wrap; do
	common "$SRCDIR/tests/$f.c" "$f" || exit 3
done
for f in banklab banklab-sched $(for l in $lessons; do echo "banklab-$l"; done); do
	common "$SRCDIR/scenarios/$f.c" "$f" || exit 3
done
for f in $files; do
	common "$SRCDIR/lab/exercises/$f.c" "stub-$f" || exit 3
done
grader="$work/o/grade_main.o $work/o/grade_checks.o $work/o/grade_util.o"
# shellcheck disable=SC2086
link "$work/bin/grade" $grader "$work/o/stub-semaphore.o" \
    "$work/o/stub-ordered.o" "$work/o/stub-repair.o" "$work/o/stub-audit.o" ||
    { echo "grade: cannot build the grader" >&2; exit 3; }

# Bad options touch nothing: not even OUT.
# shellcheck disable=SC2086
"$work/bin/grade" -n $args || exit 2
only=$(printf '%s\n' "$args" | sed -n 's/.*-e *\([1-4]\).*/\1/p')

n=0
for f in $files; do
	n=$((n + 1))
	l=$(echo "$lessons" | cut -d' ' -f"$n")
	e="$work/bin/e$n"
	mkdir -p "$e"
	[ -n "$only" ] && [ "$only" != "$n" ] && continue
	if [ ! -f "$dir/$f.c" ]; then
		echo "$f.c: missing from the submission" >"$e/error.txt"
		echo "grade: $dir/$f.c: missing; exercise $n scores 0" >&2
		continue
	fi
	if ! cc -c "$dir/$f.c" -o "$work/o/sub-$f.o" 2>"$work/o/$f.err"; then
		{ echo "$f.c does not compile: $(grep -m1 'error' "$work/o/$f.err")"
		  head -c 900 "$work/o/$f.err"; } >"$e/error.txt"
		echo "grade: $dir/$f.c does not compile; exercise $n scores 0:" >&2
		cat "$work/o/$f.err" >&2
		continue
	fi
	ex=""
	for g in $files; do
		if [ "$g" = "$f" ]; then
			ex="$ex $work/o/sub-$g.o"
		else
			ex="$ex $work/o/stub-$g.o"
		fi
	done
	wrap="-Wl,--wrap=sem_post $work/o/grade_wrap.o"
	# shellcheck disable=SC2086
	if ! { link "$e/grade" $grader $ex $wrap &&
	    link "$e/banklab" "$work/o/banklab.o" $ex $wrap &&
	    link "$e/banklab-sched" "$work/o/banklab-sched.o" $ex $wrap &&
	    link "$e/banklab-$l" "$work/o/banklab-$l.o" $ex $wrap; } \
	    2>"$work/o/$f.lderr"; then
		{ echo "$f.c does not link: the linker said:"
		  head -c 900 "$work/o/$f.lderr"; } >"$e/error.txt"
		echo "grade: $dir/$f.c does not link; exercise $n scores 0:" >&2
		cat "$work/o/$f.lderr" >&2
	fi
done

mkdir -p "$out" || exit 3
rm -rf "$out/bin" "$out"/*.sched "$out/results.json" "$out/junit.xml"
mv "$work/bin" "$out/bin" || exit 3
echo "grading $dir"
# shellcheck disable=SC2086
BANKLAB_SCHEDULES="$SRCDIR/scenarios/schedules" "$out/bin/grade" \
    -w "$out/bin" -O "$out" -j "$out/results.json" -x "$out/junit.xml" $args ||
    exit 3
echo "wrote $out/results.json and $out/junit.xml"
