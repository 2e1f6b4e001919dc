#!/bin/sh
# check_browser.sh: the page in a real browser.  `banklab serve` on
# 127.0.0.1 port 0, Debian's chromium driven by playwright-core
# (tests/browser/page.mjs): balances move while `banklab run` works the
# ledger, the race level is played to a win by clicking, the keys work,
# any console error or failed request fails it.  Screenshots go to
# tests/browser/*.png in the build tree.  The server is stopped on every
# path, and its ledger with it.  Exit 77 (skipped) without chromium or
# without tests/browser/node_modules (`npm ci` in tests/browser).
src=${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${BANKLAB_BIN_DIR:-$(pwd)/scenarios}
chromium=${CHROMIUM:-/usr/bin/chromium}
mods=$src/tests/browser/node_modules/playwright-core
if [ ! -x "$chromium" ] || ! command -v node >/dev/null 2>&1; then
	echo "SKIP: no $chromium or no node (apt-get install chromium)"
	exit 77
fi
if [ ! -d "$mods" ]; then
	echo "SKIP: no $mods (cd tests/browser && npm ci)"
	exit 77
fi

out=$(pwd)/tests/browser
mkdir -p "$out" || exit 99
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-browser.XXXXXX") || exit 99
name=browser-$$
srv=
stop() {
	if [ -n "$srv" ]; then
		kill -TERM "$srv" 2>/dev/null
		# serve stops its tellers and removes its ledger, then exits;
		# a watchdog kills it if it has not within 10 s.
		(sleep 10 && kill -KILL "$srv") >/dev/null 2>&1 &
		dog=$!
		wait "$srv" 2>/dev/null
		kill "$dog" 2>/dev/null
		srv=
	fi
	rm -rf "$tmp"
}
trap 'stop' EXIT
trap 'exit 1' INT TERM HUP

mkfifo "$tmp/out" || exit 99
"$bin/banklab" serve "$name" --listen 127.0.0.1:0 --tellers 2 \
    --accounts 100 --balance 10000 --sync ordered >"$tmp/out" 2>"$tmp/err" &
srv=$!
exec 3<"$tmp/out"
# The first line, within 10 s (a read on the FIFO under timeout's watch).
line=$(timeout 10 head -n 1 <&3) || line=
case $line in
"listening on http://"*/) url=${line#listening on } ;;
*)
	echo "FAIL: banklab serve's first line: \"$line\"; $(cat "$tmp/err")"
	echo "0 passed, 1 failed"
	exit 1
	;;
esac
# The rest of its output is drained, so that it never blocks on a pipe.
cat <&3 >"$tmp/serve.log" &
exec 3<&-

rc=0
BANKLAB="$bin/banklab" BANKLAB_SCHED="$bin/banklab-sched" \
    BANKLAB_LEDGER="$name" CHROMIUM="$chromium" \
    SHOTS="$out" PROFILE="$tmp/profile" \
    timeout -k 5 90 node "$src/tests/browser/page.mjs" "$url" || rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "FAIL: the browser test did not finish in 90 s"
	echo "0 passed, 1 failed"
fi
stop
if [ -e "/dev/shm/banklab-$name" ]; then
	echo "FAIL: /dev/shm/banklab-$name left behind"
	echo "0 passed, 1 failed"
	exit 1
fi
exit $rc
