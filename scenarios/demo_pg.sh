#!/bin/sh
# make demo-pg: the four lessons on PostgreSQL, each under the variant
# that shows its anomaly, then under its fix, against a throwaway server
# (tests/pg_server.sh: a temporary directory, a Unix socket, removed on
# every path).  A lesson that shows its anomaly exits 1: that is the
# point, so only exit codes 2 and above stop the tour.
bin=${1:-$(dirname "$0")}
server=${2:-$(dirname "$0")/../tests/pg_server.sh}
seed=${BANKLAB_DEMO_SEED:-42}

cd "$bin" || exit 3
bin=$(pwd)
export BANKLAB_WORKER="${BANKLAB_WORKER:-$bin/banklab}"
dir=$(mktemp -d /tmp/banklab-demo-pg.XXXXXX) || exit 3
trap 'sh "$server" stop "$dir"' EXIT
trap 'exit 130' INT TERM
ci=$(sh "$server" start "$dir")
case $? in
0) ;;
77) echo "demo-pg: needs PostgreSQL (apt-get install postgresql)" >&2
    exit 3 ;;
*) exit 3 ;;
esac

step() {
	printf '\n==== %s\n$ %s\n' "$1" "$2"
	(eval "$2")
	rc=$?
	if [ "$rc" -ge 2 ]; then
		echo "demo-pg: \"$2\" failed with exit code $rc" >&2
		exit "$rc"
	fi
}

echo "banklab demo-pg: the lessons again, the ledger in a PostgreSQL server"
echo "(a throwaway server: $ci)"
db="--db '$ci' --seed $seed"
step "1. Race: SELECT the balance, UPDATE it to what we computed" \
    "./banklab-race $db --sync none --window 200"
step "   ...SELECT ... FOR UPDATE, in id order" \
    "./banklab-race $db --sync ordered --window 200"
step "   ...or SERIALIZABLE: the server aborts one (40001), we retry" \
    "./banklab-race $db --sync serializable --window 200 --quiet"
step "2. Stale reads: an audit of one SELECT per account" \
    "./banklab-stale $db --sync robust"
step "   ...and one statement, one snapshot" \
    "./banklab-stale $db --sync ordered"
step "3. Deadlock: FOR UPDATE in argument order, opposite transfers" \
    "./banklab-deadlock $db --sync robust"
step "   ...and in id order" \
    "./banklab-deadlock $db --sync ordered"
step "4. Crash: a worker SIGKILLed after its debit, before COMMIT" \
    "./banklab-crash $db --sync semaphore"
step "   ...the same under row locks" \
    "./banklab-crash $db --sync robust --quiet"
step "5. By hand: a ledger any process can reach with the conninfo" \
    "./banklab create demo --db '$ci' --accounts 4 &&
     ./banklab run demo --db '$ci' --procs 4 --ops 500 --sync none;
     ./banklab show demo --db '$ci'; ./banklab destroy demo --db '$ci'"
printf '\nbanklab demo-pg: done (the server and its directory are gone).\n'
