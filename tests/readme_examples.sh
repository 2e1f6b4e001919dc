#!/bin/sh
# The printf formats below write $T and $? into a script, unexpanded.
# shellcheck disable=SC2016
#
# readme_examples.sh BUILDDIR [SRCDIR]: the README's examples, as written,
# against the programs `make install` installs (here into a throwaway
# DESTDIR, its bin/ first on PATH), from the top of the source tree (a
# copy of links to it, so that the files the examples write go away).
# Every command of a ```sh block (or a bare ``` one whose first line calls
# a banklab program) runs, in order, in one shell (a command
# may span lines: a \ at the end, a pipe, a loop; a variable one sets is
# there for the next).  A command passes if it exits 0 or 1 (1: an
# anomaly shown, which is what a lesson is for), fails on 2 (bad usage),
# 3, 126 or 127 (not found) and the like.  `banklab serve` starts in the
# background, as in another shell, on 127.0.0.1:8080 as the README says;
# the next serve, or the end, stops it with SIGTERM.
# Not run: the set-up and build lines (apt-get, ./configure, make ...),
# `banklab watch` (a terminal's: tests/check_tty.c), what needs a
# PostgreSQL server, and the minute-long lines (banklab-bench, a storm of
# more than 99 kills) unless SLOW=1.  The ledger name "demo" becomes
# "readmePID", so as not to touch a demo of someone else's on this
# machine.  `make readme-check` runs it under a timeout; about 10 s (a
# minute and a half with SLOW=1).  Not part of make check: it takes port
# 8080.
build=${1:?usage: readme_examples.sh BUILDDIR [SRCDIR]}
src=${2:-$(cd "$(dirname "$0")/.." && pwd)}
build=$(cd "$build" && pwd) || exit 99

tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-readme.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if ! make -s -C "$build" install DESTDIR="$tmp/root" >"$tmp/install" 2>&1
then
	cat "$tmp/install"
	echo "readme_examples.sh: make install failed"
	exit 99
fi
bindir=$(find "$tmp/root" -type f -name banklab-sched -path '*/bin/*' |
    head -n 1)
name=readme$$

# The commands of the ```sh blocks, each in cmd/N: lines are joined until
# sh -n finds a whole command; lines of comments alone are dropped.
mkdir "$tmp/cmd"
# A block is ```sh, or a bare ``` whose first line calls a banklab program
# (the others are output).
awk '/^```/ {
	if (!f) { f = 1; sh = ($0 == "```sh"); first = 1; next }
	f = 0; next
}
f && first { first = 0; if ($0 ~ /^banklab/) sh = 1 }
f && sh' "$src/README.md" >"$tmp/lines"
n=0
acc=
while IFS= read -r line; do
	acc=${acc:+$acc
}$line
	case $line in *\\) continue ;; esac
	sh -n -c "$acc" 2>/dev/null || continue
	if printf '%s\n' "$acc" | grep -qv '^[[:space:]]*\(#.*\)\{0,1\}$'; then
		n=$((n + 1))
		printf '%s\n' "$acc" >"$tmp/cmd/$n"
	fi
	acc=
done <"$tmp/lines"

# One script: a prelude, then each command (its output to out) and its
# verdict.
cat >"$tmp/run.sh" <<'EOF'
passed=0 failed=0 skipped=0 server=
first() { head -n 1 "$T/cmd/$1"; }
report() {
	case $2 in
	0 | 1 | 124) passed=$((passed + 1)); echo "ok ($2): $(first "$1")" ;;
	*)
		failed=$((failed + 1))
		echo "FAIL: $(first "$1"): exit $2"
		tail -n 5 "$T/out" ;;
	esac
}
skip() { skipped=$((skipped + 1)); echo "skip ($2): $(first "$1")"; }
serve_stop() {
	[ -n "$server" ] || return 0
	kill -TERM "$server" 2>/dev/null
	wait "$server"
	exec 3<&-
	server=
}
# Start command $1 in the background; its first line must say where it
# listens (read through a FIFO: we wait for the line, not for a time).
serve_start() {
	serve_stop
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	# The server itself is $! (exec), so that SIGTERM reaches it.
	(eval "exec $(cat "$T/cmd/$1.run")") >"$T/fifo" 2>&1 </dev/null &
	server=$!
	exec 3<"$T/fifo"
	IFS= read -r said <&3
	cat <&3 >>"$T/serve.out" &
	case $said in
	'listening on '*) report "$1" 0 ;;
	*) echo "  $said"; report "$1" 3; server= ;;
	esac
}
EOF
i=1
while [ "$i" -le "$n" ]; do
	# cmd/N as the README says it, cmd/N.run as it runs here.
	sed "s/\\bdemo\\b/$name/g" "$tmp/cmd/$i" >"$tmp/cmd/$i.run"
	c=$(cat "$tmp/cmd/$i.run")
	case $c in
	*apt-get* | ./autogen.sh* | ./configure* | make*)
		echo "skip $i 'set-up, build'" ;;
	*--db* | *pg_server*)
		echo "skip $i 'needs a PostgreSQL server'" ;;
	'banklab watch '*)
		echo "skip $i 'needs a terminal'" ;;
	banklab-storm*--kills\ [0-9] | banklab-storm*--kills\ [0-9][0-9] | \
	banklab-storm*--kills\ [0-9]\ * | banklab-storm*--kills\ [0-9][0-9]\ *)
		# A short storm.
		printf '{\n%s\n} >"$T/out" 2>&1\nreport %d $?\n' "$c" "$i" ;;
	banklab-bench* | banklab-storm*)
		if [ -z "${SLOW:-}" ]; then
			echo "skip $i 'slow; SLOW=1 runs it'"
		else
			printf '{\n%s\n} >"$T/out" 2>&1\nreport %d $?\n' "$c" "$i"
		fi ;;
	'banklab serve '*)
		echo "serve_start $i" ;;
	'curl -sN '*)
		# An event stream never ends: a second of it.
		printf '{\ntimeout 1 %s\n} >"$T/out" 2>&1\nreport %d $?\n' "$c" "$i" ;;
	scenarios/banklab*)
		# The build's, made in the tree in the README.
		printf '{\n%s/%s\n} >"$T/out" 2>&1\nreport %d $?\n' "$build" "$c" \
		    "$i" ;;
	*)
		printf '{\n%s\n} >"$T/out" 2>&1\nreport %d $?\n' "$c" "$i" ;;
	esac >>"$tmp/run.sh"
	i=$((i + 1))
done
cat >>"$tmp/run.sh" <<'EOF'
serve_stop
banklab destroy "$NAME" >/dev/null 2>&1
echo "$passed passed, $failed failed ($skipped not run)"
[ "$failed" -eq 0 ]
EOF

# The play example writes /tmp/game.json: removed after, if it was not
# there before.
[ -e /tmp/game.json ] && game_was_there=1
# From the top of a tree of its own, each entry a link to the source's:
# what the examples write (race-none.json ...) lands there, and goes.
mkdir "$tmp/top"
for e in "$src"/*; do
	ln -s "$e" "$tmp/top/"
done
cd "$tmp/top" || exit 99
env -u BANKLAB_WORKER -u BANKLAB_BIN_DIR -u BANKLAB_SCHEDULES \
    -u BANKLAB_SYNC PATH="$(dirname "$bindir"):$PATH" T="$tmp" NAME="$name" \
    sh "$tmp/run.sh" </dev/null
rc=$?
[ -n "${game_was_there:-}" ] || rm -f /tmp/game.json
exit $rc
