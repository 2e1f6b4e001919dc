#!/bin/sh
# pg_hosts.sh: the lost update across "machines".  Three network
# namespaces on this machine, joined by veth pairs to a bridge in the
# first: the PostgreSQL server listens on the bridge's address only
# (pg_hba trusts that subnet only); the other two each run a teller
# (`banklab worker --db "host=ADDR ..."`) on the same two accounts, at
# once.  Under `none` the books do not balance (lost updates); under
# `ordered` and `serializable` they do.  The server says each teller's
# namespace reaches it from that namespace's own address.
#
# Names carry our pid (parallel runs do not meet); the addresses are
# fixed, as each run's namespaces are a network of their own.  The
# namespaces (and their links with them) and the server go on every
# path.  Needs root: without it, one line and exit 77.
me=pg_hosts.sh
if [ "$(id -u)" != 0 ]; then
	echo "$me: skipped: needs root (network namespaces)"
	exit 77
fi
src=${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${BANKLAB_BIN_DIR:-$src/scenarios}
banklab=$bin/banklab
server="sh $src/tests/pg_server.sh"
OPS=${PG_HOSTS_OPS:-200}
net=10.77.0
tag=bl$$
ns_db=${tag}db ns_t1=${tag}t1 ns_t2=${tag}t2
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-hosts.XXXXXX") || exit 99
chmod 711 "$tmp"	# the server (user postgres) lives in $tmp/pg

cleanup() {
	$server stop "$tmp/pg" >/dev/null 2>&1
	for n in $ns_db $ns_t1 $ns_t2; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok: $*"; pass=$((pass + 1)); }
no() { echo "FAIL: $*"; fail=$((fail + 1)); }
at() { ns=$1; shift; timeout 60 ip netns exec "$ns" "$@"; }

# The network: a bridge in the server's namespace, a veth to each teller.
mknet() {
	ip netns add $ns_db && ip netns add $ns_t1 && ip netns add $ns_t2 ||
	    return 1
	ip -n $ns_db link add br0 type bridge &&
	ip -n $ns_db link add h1 type veth peer name eth0 netns $ns_t1 &&
	ip -n $ns_db link add h2 type veth peer name eth0 netns $ns_t2 &&
	ip -n $ns_db link set h1 master br0 &&
	ip -n $ns_db link set h2 master br0 &&
	ip -n $ns_db addr add $net.1/24 dev br0 &&
	ip -n $ns_t1 addr add $net.2/24 dev eth0 &&
	ip -n $ns_t2 addr add $net.3/24 dev eth0 || return 1
	for l in lo br0 h1 h2; do ip -n $ns_db link set $l up || return 1; done
	for n in $ns_t1 $ns_t2; do
		ip -n $n link set lo up && ip -n $n link set eth0 up || return 1
	done
}
if ! mknet 2>"$tmp/net.err"; then
	echo "$me: skipped: cannot make network namespaces: $(head -n 1 "$tmp/net.err")"
	exit 77
fi

# The server, in its namespace, on its bridge's address only.
conninfo=$(ip netns exec $ns_db $server start "$tmp/pg" --listen $net.1 \
    --hba $net.0/24 2>"$tmp/pg.err")
case $? in
0) ;;
77) cat "$tmp/pg.err"; exit 77 ;;
*) echo "FAIL: the server: $(cat "$tmp/pg.err")"; echo "0 passed, 1 failed"
   exit 1 ;;
esac
db=$conninfo	# "host=10.77.0.1 port=5432 dbname=postgres user=postgres"
if grep -q "^host .* 0.0.0.0/0" "$tmp/pg/data/pg_hba.conf"; then
	no "pg_hba.conf trusts any address, not $net.0/24 only"
else
	ok "pg_hba.conf trusts $net.0/24 only"
fi
for n in 2 3; do
	a=$(at ${tag}t$((n - 1)) psql -AtqX "$db" -c "SELECT inet_client_addr()" \
	    2>&1)
	if [ "$a" = "$net.$n" ]; then ok "the server sees teller $((n - 1)) as $a"
	else no "teller $((n - 1)): the server sees \"$a\", not $net.$n"; fi
done

# race VARIANT: a fresh ledger, the two tellers at once, then the audit's
# exit code (0: the books balance, 1: they do not).
race() {
	name=hosts-$1-$$
	at $ns_t1 "$banklab" create "$name" --db "$db" --accounts 2 \
	    --balance 1000000 --sync "$1" >"$tmp/create" 2>&1 ||
	    { no "$1: create from $net.2: $(cat "$tmp/create")"; return 2; }
	at $ns_t1 "$banklab" worker "$name" --db "$db" --sync "$1" \
	    --ops $OPS --mix mixed --seed 1 >"$tmp/w1" 2>&1 &
	w1=$!
	at $ns_t2 "$banklab" worker "$name" --db "$db" --sync "$1" \
	    --ops $OPS --mix mixed --seed 2 >"$tmp/w2" 2>&1 &
	w2=$!
	wait $w1; r1=$?
	wait $w2; r2=$?
	[ $r1 -le 1 ] && [ $r2 -le 1 ] ||
	    { no "$1: tellers exited $r1 and $r2: $(cat "$tmp/w1" "$tmp/w2")"
	      return 2; }
	at $ns_t2 "$banklab" audit "$name" --db "$db" >"$tmp/audit" 2>&1
	rc=$?
	at $ns_t2 "$banklab" destroy "$name" --db "$db" >/dev/null 2>&1
	echo "  $1: $(head -n 3 "$tmp/audit" | tr '\n' ' ')"
	return $rc
}

race none
case $? in
1) ok "none: lost updates between tellers on $net.2 and $net.3" ;;
0) no "none: the books balance: the race did not show" ;;
*) no "none: the run failed" ;;
esac
for v in ordered serializable; do
	race $v
	case $? in
	0) ok "$v: the books balance" ;;
	1) no "$v: the books do not balance" ;;
	*) no "$v: the run failed" ;;
	esac
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
