#!/bin/sh
# check_autograder.sh [ZIP]: try the Gradescope autograder zip (made by
# `make autograder`; default ./autograder.zip) as Gradescope would, in a
# temporary root laid out like /autograder: source/ (the unzipped zip),
# submission/, results/.  Runs setup.sh (AUTOGRADER_SKIP_APT=1: the
# packages must be here already), then run_autograder on
#   (a) solutions/*.c at the top level: full marks (the total: 40 today,
#       AUTOGRADER_EXPECT_TOTAL to change it);
#   (b) the stubs (lab/exercises/*.c) in lab/exercises/, with a solution in
#       __MACOSX/ that must be ignored: 0;
#   (c) in a folder, solutions but audit.c missing and ordered.c not
#       compiling: ordered's and audit's checks 0, the others full marks;
#   (d) a root whose tree was never built: still a valid results.json, 0.
# Each results.json is checked with jq (score, execution_time, tests[]
# with name, score, max_score, status, output, visibility), and each grade
# must take under 60 s.  Automake TESTS protocol: exit 0 pass, 77 skip (no
# zip, or a tool missing), 1 fail; the last line is "N passed, N failed".
# shellcheck disable=SC2016 # jq's $variables, in single quotes
set -u

zip=${1:-./autograder.zip}
expect_total=${AUTOGRADER_EXPECT_TOTAL:-40}
limit=60
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "PASS: $*"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}
skip() {
	echo "SKIP: $*"
	echo "0 passed, 0 failed"
	exit 77
}

[ -f "$zip" ] || skip "no $zip: run \`make autograder' first, or give the zip's path"
for t in unzip jq make cc date; do
	command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
done
# Nothing from the make that runs this test reaches setup.sh's make.
unset MAKEFLAGS MFLAGS MAKELEVEL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_autograder.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
root=$tmp/autograder
sub=$root/submission
mkdir -p "$root/source" "$sub" "$root/results"

now_ms() { date +%s%3N; }
# since T0: the milliseconds since T0, in seconds with one decimal.
since() { echo "$(now_ms) $1" | awk '{ printf "%.1f", ($1 - $2) / 1000 }'; }

# ---- the zip: setup.sh and run_autograder at its root, and one tarball
if ! unzip -q "$zip" -d "$root/source"; then
	bad "unzip $zip"
	finish
fi
n_tar=$(find "$root/source" -maxdepth 1 -name 'banklab-*.tar.gz' | wc -l)
if [ -x "$root/source/setup.sh" ] && [ -x "$root/source/run_autograder" ] &&
    [ "$n_tar" -eq 1 ]; then
	ok "zip: setup.sh, run_autograder (executable) and a tarball at its root"
else
	bad "zip: want executable setup.sh and run_autograder and one banklab-*.tar.gz at its root:"
	unzip -Z "$zip"
	finish
fi
# Gradescope runs /autograder/run_autograder, a copy of source/'s.
cp "$root/source/run_autograder" "$root/run_autograder"

# ---- setup.sh
t0=$(now_ms)
AUTOGRADER_ROOT=$root AUTOGRADER_SKIP_APT=1 bash "$root/source/setup.sh" \
    >"$tmp/setup.log" 2>&1
rc=$?
tree=$root/source/banklab
if [ "$rc" -eq 0 ] && [ -f "$tree/lab/liblab.a" ]; then
	ok "setup.sh: built in $(since "$t0") s"
else
	bad "setup.sh: exit $rc after $(since "$t0") s; its last lines:"
	tail -n 30 "$tmp/setup.log"
	finish
fi

FORMAT='(.score | type == "number")
    and (.execution_time | type == "number")
    and (.tests | type == "array")
    and all(.tests[]; (.name | type == "string")
	and (.score | type == "number") and (.max_score | type == "number")
	and (.status == "passed" or .status == "failed")
	and (.output | type == "string") and (.visibility | type == "string"))'

# grade CASE AGROOT: run AGROOT's run_autograder; check that it wrote a
# well-formed results.json in time.  Returns 1 if there is none to check.
grade() {
	rm -rf "$2/results"
	mkdir -p "$2/results"
	t0=$(now_ms)
	AUTOGRADER_ROOT=$2 "$2/run_autograder" >"$tmp/$1.log" 2>&1
	rc=$?
	secs=$(since "$t0")
	r=$2/results/results.json
	[ "$rc" -eq 0 ] || bad "($1) run_autograder: exit $rc"
	if ! [ -s "$r" ]; then
		bad "($1) no results.json after $secs s; run_autograder said:"
		tail -n 30 "$tmp/$1.log"
		return 1
	fi
	if jq -e "$FORMAT" "$r" >/dev/null 2>&1; then
		ok "($1) results.json well-formed; score $(jq -r .score "$r")/$(jq -r '.max_score // "?"' "$r"), graded in $secs s"
	else
		bad "($1) results.json is not well-formed (after $secs s):"
		cat "$r"
	fi
	if awk -v s="$secs" -v l="$limit" 'BEGIN { exit !(s < l) }'; then
		ok "($1) graded in under $limit s ($secs s)"
	else
		bad "($1) grading took $secs s, not under $limit s"
	fi
	jq -r '.tests[] | "   \(.score)/\(.max_score) \(.status) \(.name)"' "$r" 2>/dev/null
	return 0
}

# expect CASE WHAT JQ-EXPR: a check of the last results.json.
expect() {
	if jq -e "$3" "$root/results/results.json" >/dev/null 2>&1; then
		ok "($1) $2"
	else
		bad "($1) not $2; results.json:"
		cat "$root/results/results.json"
	fi
}

# ---- (a) the solutions: full marks
cp "$tree"/solutions/semaphore.c "$tree"/solutions/ordered.c \
    "$tree"/solutions/repair.c "$tree"/solutions/audit.c "$sub/"
if grade a "$root"; then
	expect a "a full score, the total of the tests' max_score" \
	    '([.tests[].max_score] | add) as $t
	     | (.tests | length) > 0 and .score == $t
	     and (.max_score // $t) == $t
	     and all(.tests[]; .status == "passed")'
	expect a "a total of $expect_total" \
	    "([.tests[].max_score] | add) == $expect_total"
fi

# ---- (b) the stubs in a subdirectory: 0
rm -rf "$sub" && mkdir -p "$sub/lab/exercises" "$sub/__MACOSX"
cp "$tree"/lab/exercises/semaphore.c "$tree"/lab/exercises/ordered.c \
    "$tree"/lab/exercises/repair.c "$tree"/lab/exercises/audit.c \
    "$sub/lab/exercises/"
cp "$tree/solutions/semaphore.c" "$sub/__MACOSX/semaphore.c"
if grade b "$root"; then
	expect b "a score of 0 over every check" \
	    "(.tests | length) > 0 and .score == 0
	     and all(.tests[]; .score == 0)
	     and ([.tests[].max_score] | add) == $expect_total"
fi

# ---- (c) in a folder: audit.c missing, ordered.c does not compile
rm -rf "$sub" && mkdir -p "$sub/banklab-hw"
cp "$tree"/solutions/semaphore.c "$tree"/solutions/repair.c "$sub/banklab-hw/"
{ cat "$tree/solutions/ordered.c"; echo 'int broken(void) { return }'; } \
    >"$sub/banklab-hw/ordered.c"
if grade c "$root"; then
	ORD='test("ordered|ord_"; "i")'
	AUD='test("audit|aud_"; "i")'
	OTHER='test("semaphore|sem_|repair|rep_"; "i")'
	expect c "ordered's checks there, all 0" \
	    "[.tests[] | select(.name | $ORD)] | length > 0 and all(.score == 0)"
	expect c "audit's checks there, all 0" \
	    "[.tests[] | select(.name | $AUD)] | length > 0 and all(.score == 0)"
	expect c "semaphore's and repair's checks graded (full marks)" \
	    "[.tests[] | select(.name | $OTHER)] | length > 0
	     and all(.score == .max_score)"
	expect c "a score that is semaphore's and repair's" \
	    "([.tests[] | select(.name | $OTHER) | .max_score] | add) as \$s
	     | \$s > 0 and .score == \$s"
	expect c "an output that names audit.c as missing and ordered.c as not compiling" \
	    '([.output // "", .tests[].output] | join("\n")) as $o
	     | ($o | test("audit\\.c")) and ($o | test("compil"; "i"))'
fi

# ---- (d) a grader that cannot run: still a valid results.json, 0
broken=$tmp/broken
mkdir -p "$broken/submission" "$broken/source"
cp "$root/run_autograder" "$broken/run_autograder"
cp "$tree/solutions/semaphore.c" "$broken/submission/"
if grade d "$broken"; then
	if jq -e '.score == 0 and (.output | test("could not grade"))' \
	    "$broken/results/results.json" >/dev/null 2>&1; then
		ok "(d) score 0 and an output that says what went wrong"
	else
		bad "(d) want score 0 and a reason; results.json:"
		cat "$broken/results/results.json"
	fi
fi

finish
