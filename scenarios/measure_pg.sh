#!/bin/sh
# measure_pg.sh: what a round trip and a transaction cost.  On one
# throwaway PostgreSQL server (tests/pg_server.sh, a Unix socket), in one
# run: banklab's transfers per second per variant at 1, 2, 4 and 8
# workers (`banklab run --db`, 1000 accounts), pgbench's own TPC-B-like
# run (`pgbench -N`, initialised with `pgbench -i` in a database of its
# own) at the same client counts, a bare round trip (`SELECT 1`), and
# beside them the shared-memory variants (banklab-bench, 1000 accounts).
# Prints one table.  Not run by `make check`: it takes about a minute.
#
# usage: scenarios/measure_pg.sh [BINDIR] [SECONDS]
#   BINDIR: where banklab and banklab-bench are (default: this dir);
#   SECONDS: each pgbench run, and about each banklab cell (default 3).
# exit: 0; 2 bad usage; 3 the server or a run failed; 77 no PostgreSQL.
set -u
me=measure_pg.sh
bin=${1:-$(dirname "$0")}
secs=${2:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
case $secs in
'' | *[!0-9]* | 0) echo "$me: SECONDS: \"$secs\" is not a positive number" >&2
	exit 2 ;;
esac
for p in banklab banklab-bench; do
	[ -x "$bin/$p" ] || { echo "$me: $bin/$p: not an executable" >&2; exit 2; }
done
for p in pgbench psql jq; do
	command -v $p >/dev/null ||
	    { echo "$me: needs $p (apt-get install postgresql jq)" >&2
	      exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-mpg.XXXXXX") || exit 3
chmod 711 "$tmp"	# the server (user postgres) lives in $tmp/pg
trap 'sh "$src/tests/pg_server.sh" stop "$tmp/pg"; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
db=$(sh "$src/tests/pg_server.sh" start "$tmp/pg") || exit $?
pgdb=$(echo "$db" | sed 's/dbname=[^ ]*/dbname=pgbench/')
procs="1 2 4 8"
load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)
variants="none semaphore robust ordered serializable"

# pgbench in a database of its own, scale 1 (10 branches' worth of rows
# is not the point: 1 branch makes -N's clients meet on few rows, as
# banklab's transfers meet on accounts).
psql -qX "$db" -c "CREATE DATABASE pgbench" >/dev/null || exit 3
pgbench -q -i -s 1 "$pgdb" >"$tmp/init" 2>&1 ||
    { echo "$me: pgbench -i: $(tail -n 1 "$tmp/init")" >&2; exit 3; }
tps_of() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1" | tail -n 1 |
    awk '{ printf "%d", $1 }'; }
echo "SELECT 1;" >"$tmp/select1.sql"
pgbench -n -f "$tmp/select1.sql" -c 1 -j 1 -T "$secs" "$pgdb" \
    >"$tmp/rt" 2>&1 || { echo "$me: pgbench SELECT 1 failed" >&2; exit 3; }
rt=$(tps_of "$tmp/rt")
for c in $procs; do
	pgbench -n -N -c "$c" -j "$c" -T "$secs" "$pgdb" >"$tmp/pgb$c" 2>&1 ||
	    { echo "$me: pgbench -N -c $c failed" >&2; exit 3; }
	eval "pgb_$c=\$(tps_of \"\$tmp/pgb$c\")"
done

# banklab on the same server: a fresh ledger per cell; the operations a
# worker does are sized from a first short run so that a cell lasts
# about SECONDS.
bl_run() {	# bl_run VARIANT PROCS OPS -> transfers per second
	name=mpg-$1-$2-$$
	"$bin/banklab" create "$name" --db "$db" --accounts 1000 \
	    --balance 1000000 --sync "$1" >/dev/null 2>&1 || return 3
	"$bin/banklab" run "$name" --db "$db" --procs "$2" --ops "$3" \
	    --mix transfer --sync "$1" >"$tmp/run.out" 2>"$tmp/run.err"
	rc=$?
	"$bin/banklab" destroy "$name" --db "$db" >/dev/null 2>&1
	[ $rc -le 1 ] || { echo "$me: banklab run $1 x$2: $(head -n 1 \
	    "$tmp/run.err")" >&2; return 3; }
	# "2 workers (ordered): 600 done, 0 refused, ...; 1.022s"
	t=$(sed -n 's/.*: \([0-9]*\) done,.*; \([0-9.]*\)s$/\1 \2/p' \
	    "$tmp/run.out" | awk '$2 > 0 { printf "%d", $1 / $2 }')
	[ -n "$t" ] || { echo "$me: banklab run $1 x$2: no rate in \"$(head \
	    -n 1 "$tmp/run.out")\"" >&2; return 3; }
	echo "$t"
}
probe=$(bl_run none 1 300) || exit 3
# Each worker's share of SECONDS at one worker's rate.
for v in $variants; do
	for p in $procs; do
		ops=$((probe * secs / p))
		[ "$ops" -ge 50 ] || ops=50
		t=$(bl_run "$v" "$p" "$ops") || exit 3
		eval "bl_${v}_$p=\$t"
	done
done

# The shared-memory variants, briefly: medians of banklab-bench.
"$bin/banklab-bench" --procs 1,2,4,8 --accounts 1000 \
    --only none,semaphore,robust,ordered --repeat 3 --run-ms 100 --json \
    >"$tmp/shm.json" 2>"$tmp/shm.err"
[ $? -le 1 ] || { echo "$me: banklab-bench failed: $(tail -n 1 \
    "$tmp/shm.err")" >&2; exit 3; }
shm() {	# shm VARIANT PROCS -> transfers per second
	jq -r --arg k "$1" --argjson p "$2" '.rows[] | select(.kind == $k and
	    .procs == $p) | (.mops.median * 1e6) | floor' "$tmp/shm.json"
}

cpus=$(nproc)
echo "transfers per second, 1000 accounts, one server on a Unix socket;"
echo "$cpus CPUs, ${secs} s a cell, $(date -u +%Y-%m-%d); load average $load0 at"
echo "the start, $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null) at the end (other work shares the CPUs)"
printf '%-28s %12s %12s %12s %12s  %s\n' "" "1" "2" "4" "8" \
    "us a transfer (1 worker)"
row() {	# row LABEL T1 T2 T4 T8
	printf '%-28s %12s %12s %12s %12s  %s\n' "$1" "$2" "$3" "$4" "$5" \
	    "$(awk -v t="$2" 'BEGIN { if (t > 0) printf "%.2f", 1e6 / t }')"
}
for v in $variants; do
	eval "row \"PostgreSQL $v\" \$bl_${v}_1 \$bl_${v}_2 \$bl_${v}_4 \$bl_${v}_8"
done
row "pgbench -N (TPC-B-like)" "$pgb_1" "$pgb_2" "$pgb_4" "$pgb_8"
row "round trip (SELECT 1)" "$rt" "" "" ""
for v in none semaphore robust ordered; do
	row "shared memory $v" "$(shm $v 1)" "$(shm $v 2)" "$(shm $v 4)" \
	    "$(shm $v 8)"
done
echo "A banklab transfer is 7 statements, each a round trip (BEGIN, 2 SELECTs,"
echo "2 UPDATEs, the books, COMMIT); pgbench -N's transaction is 5; the round"
echo "trip is one SELECT 1 at one client; shared memory: banklab-bench medians."
