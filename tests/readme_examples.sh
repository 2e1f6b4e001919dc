#!/bin/sh
# readme_examples.sh BUILDDIR [SRCDIR]: the README's examples, as written,
# against the programs `make install` installs (here into a throwaway
# DESTDIR, its bin/ first on PATH), from the top of the source tree.
# Each line of a ```sh block runs; it passes if it exits 0 or 1 (1: an
# anomaly shown, which is what a lesson is for), fails on 2 (bad usage),
# 3, 126 or 127 (not found).  The HTTP block runs against the
# `banklab serve` it starts on 127.0.0.1:8080, as the README says.
# Not run: the set-up and build lines (apt-get, ./configure, make ...);
# the minute-long ones (banklab-bench, banklab-storm) unless SLOW=1.
# The ledger name "demo" becomes "readmePID", so as not to touch a demo
# of someone else's on this machine.  `make readme-check` runs it; about
# 10 s (a minute and a half with SLOW=1).  Not part of make check: it takes port 8080.
# Run it under a timeout: a server that never says it listens hangs it.
build=${1:?usage: readme_examples.sh BUILDDIR [SRCDIR]}
src=${2:-$(cd "$(dirname "$0")/.." && pwd)}
build=$(cd "$build" && pwd) || exit 99
passed=0
failed=0
skipped=0
no() { echo "FAIL: $*"; failed=$((failed + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-readme.XXXXXX") || exit 99
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! make -s -C "$build" install DESTDIR="$tmp/root" >"$tmp/install" 2>&1
then
	cat "$tmp/install"
	echo "readme_examples.sh: make install failed"
	exit 99
fi
bindir=$(find "$tmp/root" -type f -name banklab-sched -path '*/bin/*' |
    head -n 1)
PATH=$(dirname "$bindir"):$PATH
export PATH
unset BANKLAB_WORKER BANKLAB_BIN_DIR BANKLAB_SCHEDULES BANKLAB_SYNC
name=readme$$

# The ```sh blocks, a line continued by \ joined to the next.
awk '/^```sh$/ { f = 1; next } /^```/ { f = 0 } f' "$src/README.md" |
    sed -e ':a' -e '/\\$/N; s/\\\n//; ta' >"$tmp/lines"

cd "$src" || exit 99
while IFS= read -r line; do
	# scenarios/PROG is the build's (the README builds in the tree).
	cmd=$(printf '%s\n' "$line" | sed -e 's/[[:space:]]*#.*//' \
	    -e "s/\\bdemo\\b/$name/g" -e "s|^scenarios/banklab|$build/&|")
	case $cmd in
	'') continue ;;
	*apt-get* | ./autogen.sh* | ./configure* | make*)
		echo "skip (set-up, build): $line"
		skipped=$((skipped + 1))
		continue ;;
	*--db* | *pg_server*)
		echo "skip (needs a PostgreSQL server): $line"
		skipped=$((skipped + 1))
		continue ;;
	banklab-bench* | banklab-storm*)
		if [ -z "${SLOW:-}" ]; then
			echo "skip (slow; SLOW=1 runs it): $line"
			skipped=$((skipped + 1))
			continue
		fi ;;
	'banklab serve '*)
		# In its own shell, as the README says.  Its first line is
		# "listening on ...", or it failed: read through a FIFO, so
		# that we wait for that line, not for a time.
		mkfifo "$tmp/fifo"
		sh -c "exec $cmd" >"$tmp/fifo" 2>&1 </dev/null &
		server=$!
		exec 3<"$tmp/fifo"
		IFS= read -r first <&3
		cat <&3 >"$tmp/serve" &
		case $first in
		'listening on '*)
			passed=$((passed + 1))
			echo "ok: $line" ;;
		*)
			no "$line: ${first:-no output}"
			server= ;;
		esac
		continue ;;
	'curl -sN '*)
		# The event stream never ends: a second of it.
		cmd="timeout 1 $cmd" ;;
	esac
	sh -c "$cmd" >"$tmp/out" 2>&1 </dev/null
	rc=$?
	case $rc in
	0 | 1 | 124) passed=$((passed + 1)); echo "ok ($rc): $line" ;;
	*) no "$line: exit $rc"; tail -n 5 "$tmp/out" ;;
	esac
done <"$tmp/lines"

banklab destroy "$name" >/dev/null 2>&1
echo "$passed passed, $failed failed ($skipped not run)"
[ "$failed" -eq 0 ]
