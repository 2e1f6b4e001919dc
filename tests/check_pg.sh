#!/bin/bash
# check_pg.sh: the lessons and banklab's commands on PostgreSQL (issue 17),
# against a throwaway server (tests/pg_server.sh) started once for all
# the checks and removed on every path.  Each variant keeps its promise:
# the anomaly under none and robust, never under ordered and serializable;
# a deadlock is found by the server (40P01) and counted; a worker killed
# in the middle of a transaction leaves the total exact; bad input (a bad
# conninfo, a missing or foreign schema, the server stopped under a run)
# is one line and exit 3 with nothing half-made.  Skipped (77) without
# PostgreSQL.  Every command runs under a timeout.
set -u
src=${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${BANKLAB_BIN_DIR:?BANKLAB_BIN_DIR: the built scenarios/ directory}
export BANKLAB_WORKER=${BANKLAB_WORKER:-$bin/banklab}
server=$src/tests/pg_server.sh
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }
T="timeout -k 5 60"

dir=$(mktemp -d /tmp/banklab-pg.XXXXXX) || exit 99
logs=$(mktemp -d /tmp/banklab-pg-logs.XXXXXX) || exit 99
# (a backend this test stopped is let go first: the server waits for it)
trap 'kill -CONT ${starter:-none} 2>/dev/null; "$server" stop "$dir"; rm -rf "$logs"' EXIT
trap 'exit 130' INT TERM
ci=$("$server" start "$dir")
case $? in
0) ;;
77) echo "SKIP: PostgreSQL is not installed"; exit 77 ;;
*) echo "FAIL: the throwaway server did not start"; exit 99 ;;
esac

# A lesson's JSON field: lesson VARIANT FIELD [options].
field() { sed -n "s/.*\"$1\":\\([^,}]*\\).*/\\1/p" <<<"$2"; }
lesson() {
	local l=$1 v=$2; shift 2
	out=$($T "$bin/banklab-$l" --db "$ci" --sync "$v" --json --seed 7 "$@")
	rc=$?
}

# Lost updates: under none, never under a lock, FOR UPDATE or SERIALIZABLE.
lesson race none --window 200 --ops 300
if [ $rc = 1 ] && [ "$(field lost_updates "$out")" -gt 0 ]; then
	ok "race/none: lost updates ($(field lost_updates "$out"))"
else no "race/none: no lost update (exit $rc): $out"; fi
for v in semaphore ordered serializable; do
	lesson race $v --window 200 --ops 100
	if [ $rc = 0 ] && [ "$(field lost_updates "$out")" = 0 ]; then
		ok "race/$v: no lost update (retries $(field retries "$out"))"
	else no "race/$v: exit $rc: $out"; fi
done
# (the serializable run's) 40001s: retried and counted
[ "$(field retries "$out")" -gt 0 ] && ok "serializable: 40001 retried and counted" ||
    no "serializable: no retry counted: $out"

# Torn audits: a plain audit under robust, never one snapshot.
lesson stale robust
if [ $rc = 1 ] && [ "$(field stale_audits "$out")" -gt 0 ]; then
	ok "stale/robust: $(field stale_audits "$out") torn audits"
else no "stale/robust: exit $rc: $out"; fi
for v in ordered serializable; do
	lesson stale $v --ops 120
	if [ $rc = 0 ] && [ "$(field stale_audits "$out")" = 0 ] &&
	    [ "$(field audits "$out")" -gt 0 ]; then
		ok "stale/$v: every audit consistent"
	else no "stale/$v: exit $rc: $out"; fi
done

# Deadlock: found by the server, counted; retried or failed as told.
lesson deadlock robust --ops 20
if [ $rc = 1 ] && [ "$(field deadlocks "$out")" -gt 0 ] &&
    [ "$(field observed_total "$out")" = "$(field expected_total "$out")" ]; then
	ok "deadlock/robust: $(field deadlocks "$out") deadlocks (40P01), total exact"
else no "deadlock/robust: exit $rc: $out"; fi
case $out in
*'"deadlock_pids":['[1-9]*,[1-9]*']'*'"deadlock_message":"deadlock detected'*)
	ok "the 40P01 message with both pids" ;;
*) no "no deadlock message with two pids: $out" ;;
esac
lesson deadlock robust --on-deadlock fail --ops 20
[ $rc = 1 ] && [ "$(field failed "$out")" = 1 ] &&
    ok "deadlock --on-deadlock fail: one worker stopped" ||
    no "deadlock --on-deadlock fail: exit $rc: $out"
lesson deadlock ordered
[ $rc = 0 ] && [ "$(field deadlocks "$out")" = 0 ] && ok "deadlock/ordered: none" ||
    no "deadlock/ordered: exit $rc: $out"

# A worker SIGKILLed in the middle of its transaction: rolled back.
for v in semaphore robust; do
	lesson crash $v
	if [ $rc = 0 ] && [ "$(field died "$out")" = 1 ] &&
	    [ "$(field repaired_by "$out")" = '"database"' ] &&
	    [ "$(field observed_total "$out")" = "$(field expected_total "$out")" ]; then
		ok "crash/$v: killed mid-transaction, the server rolled it back"
	else no "crash/$v: exit $rc: $out"; fi
done
b() { $T "$bin/banklab" "$@"; }
b create k --db "$ci" --accounts 2 >/dev/null
b worker k --db "$ci" --sync robust --from 0 --to 1 --ops 10 --die-after 5 >/dev/null 2>&1
rc=$?
out=$(b audit k --db "$ci")
[ $rc = 137 ] && [ $? = 0 ] && ok "a worker killed after its debit: $out" ||
    no "worker --die-after: exit $rc, audit: $out"

# Bad input: one line, exit 3, nothing half-made.
one() {	# WHAT EXPECTED-EXIT COMMAND...
	local what=$1 want=$2; shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	if [ $rc = "$want" ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]; then
		ok "$what: $err"
	else no "$what: exit $rc (not $want): $err"; fi
}
one "a bad conninfo" 3 b create x --db "nonsense=1"
one "no server there" 3 b run x --db "host=$dir/none" --procs 2
one "a lesson, no server" 3 $T "$bin/banklab-race" --db "host=$dir/none"
one "a missing schema" 3 b audit nosuch --db "$ci"
$T psql -qX "$ci" -c "CREATE SCHEMA alien; CREATE TABLE alien.accounts (id int)" >/dev/null
one "a foreign schema" 3 b show alien --db "$ci"
one "destroy a foreign schema" 3 b destroy alien --db "$ci"
[ "$($T psql -qXAt "$ci" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'alien'")" = 1 ] &&
    ok "the foreign schema is still there" || no "a foreign schema was dropped"
one "create twice" 3 b create k --db "$ci"
one "serializable on shared memory" 2 $T "$bin/banklab-race" --sync serializable
# A create that fails half-way (its INSERT times out) leaves no schema.
one "a create that fails" 3 b create half --accounts 3000000 \
    --db "$ci options='-c statement_timeout=50'"
[ "$($T psql -qXAt "$ci" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'half'")" = 0 ] &&
    ok "nothing half-made" || no "a half-made schema was left"

# destroy drops only what banklab made, never CASCADE: a view elsewhere
# on its accounts, a table of someone's in its schema, a forged table of
# its name: refused with one line naming it (exit 3), nothing dropped.
q() { $T psql -qXAt "$ci" -c "$1" 2>&1; }
tables() { q "SELECT count(*) FROM pg_tables WHERE schemaname = '$1'"; }
says() {	# WHAT WORD: the last line ($err) names WORD
	case $err in *"$2"*) ok "$1: named" ;; *) no "$1: not named ($2): $err" ;; esac
}
b create own --db "$ci" --accounts 2 >/dev/null
q "CREATE VIEW public.important AS SELECT id FROM own.accounts" >/dev/null
one "destroy under a view on its accounts" 3 b destroy own --db "$ci"
says "the view" important
q "DROP VIEW public.important; CREATE TABLE own.mine (i int)" >/dev/null
one "destroy with someone's table in the schema" 3 b destroy own --db "$ci"
says "the table" own.mine
[ "$(tables own)" = 4 ] && ok "nothing dropped" || no "destroy dropped some: $(tables own) tables left"
q "DROP TABLE own.books; CREATE TABLE own.books (worker text)" >/dev/null
one "destroy with a forged books table" 3 b destroy own --db "$ci"
[ "$(tables own)" = 4 ] && ok "a forged ledger is not dropped" || no "a forged ledger was dropped"
q "DROP SCHEMA own CASCADE" >/dev/null

# The marker and the balances are outside input: checked at attach.
b create big --db "$ci" --accounts 2 >/dev/null
q "UPDATE big.accounts SET balance = 4611686018427387900" >/dev/null
one "balances near 2^62" 3 b run big --db "$ci" --procs 2 --ops 50 --sync ordered
[ "$(q "SELECT count(*) FROM big.accounts WHERE balance > 4611686018427387904")" = 0 ] &&
    ok "no balance written above 2^62" || no "balances written above 2^62"
q "UPDATE big.accounts SET balance = 1; UPDATE big.banklab SET initial = 4611686018427387905" >/dev/null
one "an opening total above 2^62" 3 b show big --db "$ci"
q "UPDATE big.banklab SET initial = 2, sync = E'\\033[2Jx\\nnone'" >/dev/null
one "a forged variant" 3 b show big --db "$ci"
case $(b show big --db "$ci" 2>&1) in *$'\033'*) no "an escape reached the terminal" ;;
*) ok "no escape printed" ;; esac
q "UPDATE big.banklab SET sync = 'none'; INSERT INTO big.banklab SELECT * FROM big.banklab" >/dev/null
one "a second marker row" 3 b show big --db "$ci"
says "two marker rows" "2 rows"
q "DELETE FROM big.banklab WHERE ctid <> (SELECT min(ctid) FROM big.banklab)" >/dev/null
b destroy big --db "$ci" && [ "$(tables big)" = 0 ] && ok "a repaired ledger destroyed" ||
    no "the repaired ledger was not destroyed"

# A stopped backend (SIGSTOP: it answers neither us nor a cancel, and
# its statement_timeout never fires) under the starter of a run: one line
# and exit 3 within the run's --timeout, not a hang.
b create stuck --db "$ci" >/dev/null
b run stuck --db "$ci" --procs 2 --ops 10000000 --sync ordered --timeout 2500 \
    >/dev/null 2>"$logs/stuck.err" &
runner=$!
for _ in $(seq 200); do	# until the starter has opened the gate, at most 10 s
	starter=$(q "SELECT pid FROM pg_stat_activity WHERE application_name =
	    'banklab' AND query LIKE '%advisory_unlock(%' AND pid <> pg_backend_pid()")
	[ -n "$starter" ] && break
	sleep 0.05
done
kill -STOP ${starter:-none}
wait $runner; rc=$?
kill -CONT ${starter:-none}
if [ $rc = 3 ] && [ "$(wc -l <"$logs/stuck.err")" = 1 ]; then
	ok "a stopped backend under a run: $(cat "$logs/stuck.err")"
else no "a stopped backend under a run: exit $rc: $(cat "$logs/stuck.err")"; fi

# Last: the server stopped under a running `banklab run --db`.
b create gone --db "$ci" >/dev/null
b run gone --db "$ci" --procs 2 --ops 10000000 --sync ordered >"$logs/run.out" 2>"$logs/run.err" &
runner=$!
for _ in $(seq 200); do	# until the workers are at it, at most 10 s
	n=$($T psql -qXAt "$ci" -c "SELECT sum(writes) FROM gone.books" 2>/dev/null)
	[ "${n:-0}" -gt 0 ] 2>/dev/null && break
	sleep 0.05
done
"$server" stop "$dir"
wait $runner; rc=$?
if [ $rc = 3 ] && [ "$(wc -l <"$logs/run.err" 2>/dev/null || echo 1)" -le 1 ]; then
	ok "the server gone under a run: exit 3"
else no "the server gone under a run: exit $rc: $(cat "$logs/run.err" 2>/dev/null)"; fi
pgrep -f "banklab worker gone" >/dev/null && no "workers left running" || ok "no worker left"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
