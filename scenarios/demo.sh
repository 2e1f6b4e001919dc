#!/bin/sh
# make demo: each lesson under the variant that shows its anomaly, then under
# its fix.  A lesson that shows its anomaly exits 1: that is the point here,
# so only exit codes 2 and above (bad usage, system failure) stop the tour.
bin=${1:-$(dirname "$0")}
seed=${BANKLAB_DEMO_SEED:-42}

step() {
	printf '\n==== %s\n$ %s\n' "$1" "$2"
	shift
	(eval "$1")	# a subshell, as sh -c was; it sees http_race
	rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "demo: \"$1\" failed with exit code $rc" >&2
		exit "$rc"
	fi
}

cd "$bin" || exit 3
echo "banklab demo: processes sharing a bank ledger in POSIX shared memory"
echo "(every run prints its seed; rerun any of them with --seed)"

step "1. Race: two processes update the same balances with no lock" \
    "./banklab-race --sync none --seed $seed"
step "   ...and with per-account locks taken in order" \
    "./banklab-race --sync ordered --seed $seed"
step "2. Stale reads: an auditor locks one account at a time" \
    "./banklab-stale --sync robust --seed $seed"
step "   ...and an auditor that takes a consistent snapshot" \
    "./banklab-stale --sync ordered --seed $seed"
step "3. Deadlock: opposite transfers, locks in argument order" \
    "./banklab-deadlock --sync robust --seed $seed"
step "   ...and locks in account order" \
    "./banklab-deadlock --sync ordered --seed $seed"
step "4. Crash: a worker dies mid-transfer holding the one semaphore" \
    "./banklab-crash --sync semaphore --seed $seed"
step "   ...and holding robust mutexes" \
    "./banklab-crash --sync robust --seed $seed"
# The same race through HTTP: `banklab serve` with 2 teller processes,
# banklab-tellers as 8 clients.  The server is stopped (SIGTERM) and its
# ledger removed after each run.
http_race() {
	out=$(mktemp) || exit 3
	./banklab serve "demo-http-$$" --listen 127.0.0.1:0 --tellers 2 \
	    --sync "$1" --window 100 --accounts 4 --balance 0 >"$out" &
	srv=$!
	n=0
	until grep -q '^listening on ' "$out" || [ "$n" -ge 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$out")
	if [ -z "$url" ]; then
		echo "demo: banklab serve did not start" >&2
		kill "$srv" 2>/dev/null
		wait "$srv"
		rm -f "$out"
		exit 3
	fi
	echo "(banklab serve demo-http-$$ --sync $1 --tellers 2: $url)"
	./banklab-tellers "$url" --clients 8 --requests 2000 --fresh \
	    --seed "$seed"
	rc=$?
	kill "$srv"
	wait "$srv"
	rm -f "$out"
	return "$rc"
}

step "5. The same race, through HTTP: two teller processes, no lock" \
    "http_race none"
step "   ...and the tellers lock in account order" \
    "http_race ordered"
printf '\nbanklab demo: done.  Try banklab --help, or banklab-race --help.\n'
