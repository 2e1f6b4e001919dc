#!/bin/sh
# make demo: each lesson under the variant that shows its anomaly, then under
# its fix.  A lesson that shows its anomaly exits 1: that is the point here,
# so only exit codes 2 and above (bad usage, system failure) stop the tour.
bin=${1:-$(dirname "$0")}
seed=${BANKLAB_DEMO_SEED:-42}

step() {
	printf '\n==== %s\n$ %s\n' "$1" "$2"
	shift
	sh -c "$1"
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
printf '\nbanklab demo: done.  Try banklab --help, or banklab-race --help.\n'
