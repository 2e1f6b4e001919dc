#!/bin/sh
# check_man.sh: the manual pages in scenarios/ (mdoc, beside their
# programs) are mandoc -Tlint clean; every option a program's --help lists
# is a .Fl of its page and every .Fl of a page is in its programs' --help,
# short and long spelled exactly; `make install-man` installs every page
# where man(1) finds it, the lessons' names included.  And the checks can
# fail: a page with an option renamed must be refused with lines that name
# the program, the option and the side that lacks it; a page with an
# unknown macro and a reference to a page not there, by the lint.
# Needs mandoc (Debian mandoc); without it: one line, exit 77 (skipped).
# Environment (make check sets them): BANKLAB_SRCDIR, BANKLAB_BIN_DIR, and
# BANKLAB_MAKE (`make -C BUILDDIR`, for the install part; unset: skipped).
src=${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${BANKLAB_BIN_DIR:-$src/scenarios}
pages=$src/scenarios
passed=0
failed=0
ok() { passed=$((passed + 1)); }
no() { echo "FAIL: $*"; failed=$((failed + 1)); }

if ! command -v mandoc >/dev/null 2>&1; then
	echo "check_man.sh: mandoc not installed (Debian: mandoc): skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-man.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# Each page, and the programs whose --help it documents ("|" between).
MAP='banklab.1|banklab
banklab-lessons.1|banklab-race|banklab-stale|banklab-deadlock|banklab-crash
banklab-sched.1|banklab-sched
banklab-bench.1|banklab-bench
banklab-storm.1|banklab-storm
banklab-serve.1|banklab serve
banklab-tellers.1|banklab-tellers'
# Pages with no program's options, and the lessons' names (.so stubs).
OTHER='banklab-sched.5'
STUBS='banklab-race banklab-stale banklab-deadlock banklab-crash'

# ---------------------------------------------------------------- lint
# lint DIR PAGE: mandoc -Tlint's complaints, one a line; true if none.
# mandoc looks cross-references up in the system's database only, where
# ours are not before they are installed: those to banklab pages are
# checked against the pages in DIR instead.
lint() {
	out=$(cd "$1" && mandoc -Tlint -W style "$2" 2>&1 |
	    grep -v -e 'referenced manual not found' -e 'mandoc\.db')
	# Words: each is one NAME.N.
	# shellcheck disable=SC2013
	for xr in $(grep -o 'Xr banklab[a-z-]* [0-9]' "$1/$2" |
	    sed 's/Xr \(.*\) \(.*\)/\1.\2/' | LC_ALL=C sort -u); do
		[ -f "$1/$xr" ] ||
		    out="${out:+$out
}$2: .Xr to $xr, a page that is not there"
	done
	[ -z "$out" ] || echo "$out"
	[ -z "$out" ]
}

for p in $(echo "$MAP" | cut -d'|' -f1) $OTHER; do
	if out=$(lint "$pages" "$p"); then
		ok
	else
		no "mandoc -Tlint $p:"
		echo "$out"
	fi
done
# The lint can fail: an unknown macro and a reference to a page that is
# not there, each named.
mkdir "$tmp/lint"
cp "$pages"/*.[15] "$tmp/lint/"
printf '.Zz x\n.Xr banklab-nosuch 1\n' >>"$tmp/lint/banklab-tellers.1"
out=$(lint "$tmp/lint" banklab-tellers.1) && no "a broken page passed the lint"
case $out in
*"unknown macro: .Zz"*"Xr to banklab-nosuch.1"*) ok ;;
*) no "the lint did not name what is wrong: $out" ;;
esac
for s in $STUBS; do
	if [ "$(cat "$pages/$s.1")" = ".so man1/banklab-lessons.1" ]; then
		ok
	else
		no "scenarios/$s.1 is not .so man1/banklab-lessons.1"
	fi
done

# ---------------------------------------------------------------- options
# The options a --help lists: every word -x or --long-name in its text.
help_opts() {
	# $1 is a command of one or two words (banklab serve).
	# shellcheck disable=SC2086
	"$bin"/$1 --help 2>&1 | tr -c 'A-Za-z0-9-' '\n' |
	    grep -E '^(--[a-z][a-z0-9-]*|-[A-Za-z])$' | LC_ALL=C sort -u
}

# A page's options: the words inside its Fl macros, as mandoc parses them
# (".Fl h | -help" is -h and --help; a bare ".Fl" is no option).
page_opts() {
	mandoc -Ttree "$1" | awk '
	{ match($0, /^ */); ind = RLENGTH }
	infl && ind <= flind { infl = 0 }
	infl && / \(text\) / {
		t = $0; sub(/^ */, "", t); sub(/ \(text\) .*/, "", t)
		print "-" t; next
	}
	/^ *Fl \(elem\)/ { infl = 1; flind = ind }' |
	    grep -v '^-$' | LC_ALL=C sort -u
}

# compare PAGE PROG...: one line per option one side lacks; true if none.
compare() {
	page=$1
	shift
	n=0
	page_opts "$page" >"$tmp/page"
	: >"$tmp/all"
	progs=
	for prog in "$@"; do
		help_opts "$prog" >"$tmp/help"
		if [ ! -s "$tmp/help" ]; then
			echo "$prog: --help lists no option (is $bin/$prog built?)"
			n=$((n + 1))
		fi
		cat "$tmp/help" >>"$tmp/all"
		for o in $(LC_ALL=C comm -23 "$tmp/help" "$tmp/page"); do
			echo "$prog: $o is in its --help but not in" \
			    "$(basename "$page")"
			n=$((n + 1))
		done
		progs="${progs:+$progs, }$prog"
	done
	LC_ALL=C sort -u -o "$tmp/all" "$tmp/all"
	for o in $(LC_ALL=C comm -13 "$tmp/all" "$tmp/page"); do
		echo "$(basename "$page"): $o is in the page but not in the" \
		    "--help of $progs"
		n=$((n + 1))
	done
	[ "$n" -eq 0 ]
}

echo "$MAP" | {
	while IFS='|' read -r page p1 p2 p3 p4; do
		set -- "$p1"
		for p in "$p2" "$p3" "$p4"; do
			[ -n "$p" ] && set -- "$@" "$p"
		done
		if out=$(compare "$pages/$page" "$@"); then
			echo "options: $page and the --help of $* agree"
			echo pass >>"$tmp/tally"
		else
			echo "$out" | sed 's/^/FAIL: /'
			echo "$out" | sed 's/.*/fail/' >>"$tmp/tally"
		fi
	done
}
passed=$((passed + $(grep -c '^pass' "$tmp/tally")))
failed=$((failed + $(grep -c '^fail' "$tmp/tally")))

# The check can fail: --json renamed --jsonx in a copy of a page is found
# missing on one side and unknown on the other, by name.
sed 's/Fl -json/Fl -jsonx/' "$pages/banklab-tellers.1" >"$tmp/bad.1"
out=$(compare "$tmp/bad.1" banklab-tellers) &&
    no "a page without --json was not refused"
case $out in
*"banklab-tellers: --json is in its --help but not in bad.1"*) ok ;;
*) no "the missing --json was not named: $out" ;;
esac
case $out in
*"bad.1: --jsonx is in the page but not in the --help of banklab-tellers"*)
	ok ;;
*) no "the unknown --jsonx was not named: $out" ;;
esac

# ---------------------------------------------------------------- install
# make install-man into a throwaway mandir; man(1) (or mandoc, following
# the lessons' .so from the mandir) finds and renders every name.
if [ -z "${BANKLAB_MAKE:-}" ]; then
	echo "install: BANKLAB_MAKE not set (run by make check): skipped"
else
	man=$tmp/man
	# shellcheck disable=SC2086
	if ! $BANKLAB_MAKE install-man mandir="$man" >"$tmp/install" 2>&1; then
		no "make install-man failed:"
		cat "$tmp/install"
	fi
	for name in banklab banklab-race banklab-stale banklab-deadlock \
	    banklab-crash banklab-sched banklab-bench banklab-storm \
	    banklab-serve banklab-tellers banklab-sched.5; do
		sec=1
		case $name in *.5) sec=5 name=${name%.5} ;; esac
		f=$man/man$sec/$name.$sec
		if command -v man >/dev/null 2>&1; then
			out=$(MANWIDTH=80 MAN_KEEP_FORMATTING='' man -M "$man" -P cat \
			    "$sec" "$name" 2>&1)
		else
			out=$(cd "$man" && mandoc -Tmarkdown "man$sec/$name.$sec" 2>&1)
		fi
		case $out in
		*"$name"*DESCRIPTION*) ok ;;
		*) no "man $sec $name after make install-man ($f): $out" ;;
		esac
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
