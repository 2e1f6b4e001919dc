#!/bin/sh
# pg_sched.sh: each shipped schedule on PostgreSQL keeps the promises of
# its db-anomaly and db-clean lines (banklab-sched FILE --db: exit 1 and
# exit 0), and says what it promised: the lost update under none, the
# server's 40P01 under robust, a torn audit under a plain audit, a killed
# session's transaction rolled back by the server; a step that blocks is
# shown waiting, not hung.  One throwaway server (tests/pg_server.sh) for
# all, removed on every path; each run is bounded.
me=pg_sched.sh
src=${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${BANKLAB_BIN_DIR:-$src/scenarios}
scheds=${BANKLAB_SCHEDULES:-$src/scenarios/schedules}
sched=$bin/banklab-sched
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-pgsched.XXXXXX") || exit 99
chmod 711 "$tmp"	# the server (user postgres) lives in $tmp/pg
trap 'sh "$src/tests/pg_server.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
db=$(sh "$src/tests/pg_server.sh" start "$tmp/pg")
case $? in
0) ;;
77) exit 77 ;;
*) echo "FAIL: the server would not start"; echo "0 passed, 1 failed"
   exit 1 ;;
esac

ok() { echo "ok: $*"; pass=$((pass + 1)); }
no() { echo "FAIL: $*"; fail=$((fail + 1)); }
# The variants a line of FILE names ("db-anomaly" or "db-clean").
line() { sed -n "s/^$2[ 	]\{1,\}//p" "$1" | tr -s ' \t' '\n\n'; }
# run FILE VARIANT: its output in $tmp/out, its exit code returned.
run() { timeout 60 "$sched" "$1" --db "$db" --sync "$2" >"$tmp/out" 2>&1; }
# has WORDS: the last run said them.
has() { grep -q -- "$1" "$tmp/out"; }

# promise FILE WHAT RC: each variant of FILE's line WHAT exits RC.
promise() {
	for v in $(line "$1" "db-$2"); do
		run "$1" "$v"
		rc=$?
		if [ $rc -eq "$3" ]; then ok "$f under $v: $2"
		else no "$f under $v: exit $rc, not $3: $(tail -n 3 "$tmp/out")"
		fi
		cp "$tmp/out" "$tmp/$f-$v"
	done
}
for f in race stale deadlock crash; do
	file=$scheds/$f.sched
	[ -n "$(line "$file" db-anomaly)$(line "$file" db-clean)" ] ||
	    no "$f.sched promises nothing on PostgreSQL"
	promise "$file" anomaly 1
	promise "$file" clean 0
done

# What each said, in its own words.
said() {	# said FILE-VARIANT WORDS WHAT
	if grep -q -- "$2" "$tmp/$1" 2>/dev/null; then ok "$1: $3"
	else no "$1: does not say \"$2\" ($3)"; fi
}
said race-none "LOST UPDATE" "the lost update"
said race-robust "<waiting for #0>" "a step that blocks is shown waiting"
said race-serializable "40001" "the server's serialization failure"
said deadlock-robust "40P01" "the server's deadlock error"
said deadlock-robust "DEADLOCK" "the verdict"
said deadlock-robust "cycle: pid" "the wait-for cycle"
said stale-none "TORN AUDIT" "the torn audit"
said stale-ordered "audit (one SELECT)" "the consistent audit"
said crash-none "KILLED (pg_terminate_backend)" "the kill"
said crash-none "the server rolled back" "who repaired it"
said crash-semaphore "the server rolled back" "no semaphore stuck"

# Every run of a schedule is the same run, on the server too (--repeat:
# exit 3 if any differs from the first).  Not the deadlock: its victim is
# the first waiter only if nothing stalls us 200 ms between the waits.
for fv in race:robust:0 race:serializable:0 crash:semaphore:0; do
	f=${fv%%:*} v=${fv#*:} rc=${v#*:} v=${v%:*}
	timeout 60 "$sched" "$scheds/$f.sched" --db "$db" --sync "$v" \
	    --repeat 4 --quiet >"$tmp/out" 2>&1
	got=$?
	if [ $got -eq "$rc" ] && ! grep -v "4 of 4" "$tmp/out" | grep -q identical
	then ok "$f under $v: 4 runs, all the same"
	else no "$f under $v --repeat 4: exit $got: $(grep identical "$tmp/out")"
	fi
done

# A lesson's own schedule on PostgreSQL (banklab-deadlock --schedule file).
timeout 60 "$bin/banklab-deadlock" --db "$db" --schedule file >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 1 ] && has "40P01"; then ok "banklab-deadlock --db --schedule file"
else no "banklab-deadlock --db --schedule file: exit $rc: $(tail -n 2 "$tmp/out")"
fi

# Bad input: a server that is not there is one line and exit 3.
timeout 30 "$sched" "$scheds/race.sched" --db "host=$tmp/nowhere" \
    >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 3 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ]; then
	ok "no server: one line, exit 3"
else
	no "no server: exit $rc: $(cat "$tmp/out")"
fi
timeout 30 "$sched" "$scheds/race.sched" --db "$db" --explore all \
    >"$tmp/out" 2>&1
[ $? -eq 2 ] && ok "--explore with --db: refused (exit 2)" ||
    no "--explore with --db was not refused: $(cat "$tmp/out")"
timeout 30 "$sched" "$scheds/race.sched" --db "$db" --trace "$tmp/t.json" \
    >"$tmp/out" 2>&1
[ $? -eq 2 ] && [ ! -e "$tmp/t.json" ] &&
    ok "--trace with --db: refused (exit 2), no file" ||
    no "--trace with --db was not refused: $(cat "$tmp/out")"
# Every run dropped its ledger (a schema sched-PID-N), the refused too.
left=$(psql -AtqX "$db" -c "SELECT count(*) FROM pg_namespace WHERE
    nspname LIKE 'sched-%'" 2>&1)
[ "$left" = 0 ] && ok "no ledger left on the server" ||
    no "ledgers left on the server: $left"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
