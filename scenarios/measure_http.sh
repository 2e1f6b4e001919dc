#!/bin/bash
# measure_http.sh: what banklab serve costs over HTTP, beside nginx.
#
# For 1 and 2 tellers: requests per second and latency p99 with wrk for
# GET /v1/accounts/{id} and POST /v1/deposit (ordered), then nginx with as
# many worker processes serving a static file of the same size as the
# account's answer, on the same machine in the same run: what HTTP itself
# costs here.  The goal of issue 14: reads at >= 0.5x nginx.  Not run by
# `make check`.  Needs wrk and nginx (Debian: wrk nginx-light).
#
# Then RACE runs of `make demo`'s step 5 (banklab serve --sync none
# --tellers 2 --window 100, banklab-tellers 8 x 2000 deposits, --fresh):
# in how many the lost updates showed (goal: >= 99 of 100).
#
# usage: scenarios/measure_http.sh [BINDIR] [SECONDS] [CONNECTIONS] [RACE]
#        [THREADS]
#        (default: this dir, 5, 8, 100, the CPUs; RACE 0 skips the race)
# wrk runs THREADS threads: with one, on 2 CPUs, wrk itself was the limit.
# exit: 0 measured, 2 bad usage or a tool missing, 3 a server did not start.
set -u

bin=${1:-$(dirname "$0")}
secs=${2:-5}
conns=${3:-8}
race=${4:-100}
threads=${5:-$(nproc)}
case $race in
'' | *[!0-9]*)
	echo "measure_http.sh: RACE: \"$race\" is not a number" >&2
	exit 2
	;;
esac
for n in "$secs" "$conns" "$threads"; do
	case $n in
	'' | *[!0-9]* | 0)
		echo "measure_http.sh: \"$n\" is not a positive number" >&2
		exit 2
		;;
	esac
done
if [ "$threads" -gt "$conns" ]; then
	threads=$conns		# wrk needs a connection per thread
fi
for t in wrk nginx curl; do
	if ! command -v "$t" >/dev/null && [ ! -x "/usr/sbin/$t" ]; then
		echo "measure_http.sh: $t is needed (apt-get install wrk" \
		    "nginx-light curl)" >&2
		exit 2
	fi
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
unset BANKLAB_SYNC
tmp=$(mktemp -d) || exit 3
chmod 755 "$tmp"
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/deposit.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"account": 7, "cents": 1}'
wrk.headers["Content-Type"] = "application/json"
EOF

# wrk URL [SCRIPT]: "REQS_PER_S P99" (p99 in microseconds).
bench() {
	local out
	out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency ${2:+-s "$2"} "$1") ||
	    return 1
	awk '
	function us(v) {
		if (v ~ /us$/) return v + 0
		if (v ~ /ms$/) return v * 1000
		if (v ~ /s$/) return v * 1000000
		return v
	}
	/Requests\/sec:/ { rps = $2 }
	/^ +99%/ { p99 = us($2) }
	/Non-2xx/ { bad = $NF }
	END { printf "%.0f %.0f %s\n", rps, p99, bad + 0 }' <<<"$out"
}

# Start banklab serve with T tellers; sets srv and url.
serve() {
	: >"$tmp/serve.out"
	"$bin/banklab" serve "measure-$$" --listen 127.0.0.1:0 --tellers "$1" \
	    --sync ordered --accounts 1000 --connections 256 >"$tmp/serve.out" &
	srv=$!
	for _ in $(seq 50); do
		url=$(sed -n 's/^listening on \(http:[^ ]*\)\/$/\1/p' \
		    "$tmp/serve.out")
		[ -n "$url" ] && return 0
		sleep 0.1
	done
	echo "measure_http.sh: banklab serve did not start" >&2
	exit 3
}

# Start nginx with W workers on a free port serving $tmp/www; sets nurl.
nginx_start() {
	local port=$((20000 + RANDOM % 20000))
	cat >"$tmp/nginx.conf" <<EOF
worker_processes $1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$port;
		root $tmp/www;
		location / { default_type application/json; }
	}
}
EOF
	"$nginx" -c "$tmp/nginx.conf" -p "$tmp" || exit 3
	nurl=http://127.0.0.1:$port
	for _ in $(seq 50); do
		curl -sf "$nurl/account.json" >/dev/null && return 0
		sleep 0.1
	done
	echo "measure_http.sh: nginx did not start" >&2
	exit 3
}

printf '%-34s %8s %10s %10s %8s\n' \
    "what (${secs}s, $conns conns, $threads thr)" \
    procs "req/s" "p99 us" "non-2xx"
mkdir -p "$tmp/www"
for t in 1 2; do
	serve "$t"
	curl -s "$url/v1/accounts/1" >"$tmp/www/account.json"
	read -r r_rps r_p99 r_bad < <(bench "$url/v1/accounts/1")
	read -r w_rps w_p99 w_bad < <(bench "$url/v1/deposit" \
	    "$tmp/deposit.lua")
	kill "$srv" && wait "$srv"
	srv=
	nginx_start "$t"
	read -r n_rps n_p99 n_bad < <(bench "$nurl/account.json")
	kill "$(cat "$tmp/nginx.pid")"
	rm -f "$tmp/nginx.pid"
	sleep 0.3
	printf '%-34s %8s %10s %10s %8s\n' "GET /v1/accounts/1" "$t" \
	    "$r_rps" "$r_p99" "$r_bad"
	printf '%-34s %8s %10s %10s %8s\n' "POST /v1/deposit" "$t" \
	    "$w_rps" "$w_p99" "$w_bad"
	printf '%-34s %8s %10s %10s %8s\n' \
	    "nginx, $(wc -c <"$tmp/www/account.json") bytes static" "$t" \
	    "$n_rps" "$n_p99" "$n_bad"
	awk -v r="$r_rps" -v n="$n_rps" 'BEGIN { printf \
	    "  reads at %.2fx nginx (goal 0.5x)\n", n > 0 ? r / n : 0 }'
done

# The race through HTTP, as make demo runs it.
[ "$race" -gt 0 ] || exit 0
shown=0
for i in $(seq "$race"); do
	: >"$tmp/serve.out"
	"$bin/banklab" serve "measure-race-$$" --listen 127.0.0.1:0 \
	    --tellers 2 --sync none --window 100 --accounts 4 --balance 0 \
	    >"$tmp/serve.out" &
	srv=$!
	url=
	for _ in $(seq 50); do
		url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' \
		    "$tmp/serve.out")
		[ -n "$url" ] && break
		sleep 0.1
	done
	[ -n "$url" ] || { echo "measure_http.sh: no server" >&2; exit 3; }
	"$bin/banklab-tellers" "$url" --clients 8 --requests 2000 --fresh \
	    --seed "$i" >/dev/null
	[ $? -eq 1 ] && shown=$((shown + 1))
	kill "$srv" && wait "$srv"
	srv=
done
echo "the race through HTTP (none, 2 tellers): shown in $shown of $race runs"
