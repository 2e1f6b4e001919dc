#!/bin/sh
# check_plot.sh: --plot FILE pipes the figures into gnuplot (scenarios/
# plot.c).  A short bench and a short storm each make an SVG that parses
# (xmllint), whose root is <svg> and which names its series, and a PNG
# (its magic bytes); no gnuplot on PATH, or one that fails, is one line
# and exit 3, found before the run; a FILE that is neither .svg nor .png
# is one line and exit 2.  Nothing is left behind on a failure.
bin=${BANKLAB_BIN_DIR:?BANKLAB_BIN_DIR is not set}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
no() { echo "FAIL: $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-plot.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
bench="$bin/banklab-bench --quick --procs 1,2 --accounts 2 --repeat 1
    --run-ms 5 --only ordered,bare-robust"
storm="$bin/banklab-storm --kills 20 --workers 2"

# An SVG: parses, root <svg>, every series named in a <title>.
svg() {	# svg FILE WHAT SERIES...
	f=$1 what=$2
	shift 2
	root=$(xmllint --nonet --xpath 'local-name(/*)' "$f" 2>&1)
	[ "$root" = svg ] || { no "$what: root is \"$root\", not svg"; return; }
	titles=$(xmllint --nonet --xpath "//*[local-name()='title']/text()" \
	    "$f" 2>/dev/null)
	for s in "$@"; do
		printf '%s\n' "$titles" | grep -qx "$s" ||
		    { no "$what: no series \"$s\" (titles: $titles)"; return; }
	done
	ok
}
png() {	# png FILE WHAT: the 8 bytes every PNG starts with
	magic=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
	if [ "$magic" = 89504e470d0a1a0a ]; then ok; else
		no "$2: not a PNG ($magic)"
	fi
}
exits() {	# exits WANT GOT WHAT
	if [ "$2" -eq "$1" ]; then ok; else no "$3: exit $2, not $1"; fi
}
one_line() {	# one_line FILE WHAT PATTERN
	if [ "$(wc -l <"$1")" -eq 1 ] && grep -q "$3" "$1"; then ok; else
		no "$2: not one line with \"$3\": $(cat "$1")"
	fi
}

# shellcheck disable=SC2086
$bench --plot "$tmp/bench.svg" >"$tmp/out" 2>"$tmp/err" ||
    no "bench --plot .svg: exit $? ($(cat "$tmp/err"))"
svg "$tmp/bench.svg" "bench SVG" ordered bare-robust
# shellcheck disable=SC2086
$bench --plot "$tmp/bench.PNG" >"$tmp/out" 2>"$tmp/err" ||
    no "bench --plot .PNG: exit $? ($(cat "$tmp/err"))"
png "$tmp/bench.PNG" "bench PNG"
BANKLAB_WORKER=${BANKLAB_WORKER:-$bin/banklab} $storm \
    --plot "$tmp/storm.svg" >"$tmp/out" 2>"$tmp/err" ||
    no "storm --plot .svg: exit $? ($(cat "$tmp/err"))"
svg "$tmp/storm.svg" "storm SVG" total books "SIGKILLed by the storm"

# No gnuplot on PATH: said before the run (no table), nothing written.
for p in "$bench" "$storm"; do
	# shellcheck disable=SC2086
	PATH=/nonexistent $p --plot "$tmp/none.svg" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	exits 3 $rc "${p%% *} without gnuplot"
	one_line "$tmp/err" "${p%% *} without gnuplot" "no gnuplot on PATH"
	if [ ! -s "$tmp/out" ] && [ ! -e "$tmp/none.svg" ]; then ok; else
		no "${p%% *} without gnuplot ran or wrote anyway"
	fi
done

# A gnuplot that fails (the fault injected: the real one is not made
# to fail by anything the programs write): exit 3, its last line, the
# file removed.
mkdir "$tmp/bad"
printf '#!/bin/sh\ncat >/dev/null\necho "line 3: it broke" >&2\nexit 1\n' \
    >"$tmp/bad/gnuplot"
chmod +x "$tmp/bad/gnuplot"
# shellcheck disable=SC2086
PATH=$tmp/bad:$PATH $bench --plot "$tmp/bad.svg" >"$tmp/out" 2>"$tmp/err"
rc=$?
exits 3 $rc "gnuplot failing"
one_line "$tmp/err" "gnuplot failing" \
    "gnuplot failed (exit 1): line 3: it broke"
if [ ! -e "$tmp/bad.svg" ]; then ok; else
	no "gnuplot failing: the file is left"
fi

# Neither .svg nor .png: usage, exit 2.
for f in plot.pdf plot noext.svg.txt; do
	# shellcheck disable=SC2086
	$bench --plot "$tmp/$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	exits 2 $rc "--plot $f"
	one_line "$tmp/err" "--plot $f" "must end in .svg or .png"
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
