#!/bin/sh
# pg_server.sh start DIR [--listen ADDR [--hba CIDR]] | stop DIR |
#     conninfo DIR
#
# A throwaway PostgreSQL server for the tests and `make demo-pg`: initdb in
# DIR/data, the server on a Unix socket in DIR only (no TCP unless --listen
# ADDR; clients from CIDR trusted, default any), fsync off (its data is thrown away), a short deadlock_timeout (so
# a deadlock lesson does not wait the default second), its dynamic shared
# memory in DIR (nothing of it in /dev/shm).  `start` prints the
# conninfo, one line; `stop` stops the server and removes DIR, and does
# nothing if there is nothing to stop.  Run as root, the server runs as
# the `postgres` user (PostgreSQL refuses root) and DIR is handed to it.
#
# Exit: 0; 77 with one line if PostgreSQL is not installed (the tests skip);
# 2 bad usage; 3 with one line if the server would not start (DIR removed).
# The caller traps: trap 'pg_server.sh stop "$dir"' EXIT.
set -u
me=pg_server.sh

bindir() {
	if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then
		echo "$PG_BINDIR"; return 0
	fi
	b=$(pg_config --bindir 2>/dev/null) && [ -x "$b/initdb" ] &&
	    { echo "$b"; return 0; }
	for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
		[ -x "$b/initdb" ] && { echo "$b"; return 0; }
	done
	return 1
}

# Run a server program as the owner of the data (postgres when we are root).
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

conninfo() {
	if [ -f "$1/listen" ]; then
		echo "host=$(cat "$1/listen") port=5432 dbname=postgres user=$2"
	else
		echo "host=$1 port=5432 dbname=postgres user=$2"
	fi
}

user() {
	if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

stop() {
	dir=$1
	[ -d "$dir" ] || return 0
	if [ -f "$dir/data/postmaster.pid" ] && b=$(bindir); then
		as_owner "$b/pg_ctl" -D "$dir/data" -m immediate -w -t 20 \
		    stop >/dev/null 2>&1
	fi
	rm -rf "$dir"
}

start() {
	dir=$1; listen=${2:-}
	if ! b=$(bindir); then
		echo "$me: PostgreSQL is not installed (no initdb; apt-get install postgresql)" >&2
		exit 77
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "$me: running as root and there is no postgres user" >&2
		exit 77
	fi
	mkdir -p "$dir" || exit 3
	dir=$(cd "$dir" && pwd)
	# The socket path must fit sun_path (107 bytes).
	if [ ${#dir} -gt 80 ]; then
		echo "$me: $dir: too long for a socket's path" >&2; exit 2
	fi
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	chmod 700 "$dir"
	if ! as_owner "$b/initdb" -D "$dir/data" -U "$(user)" -A trust \
	    --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
		echo "$me: initdb failed: $(tail -n 1 "$dir/initdb.log")" >&2
		stop "$dir"; exit 3
	fi
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '${listen}'
unix_socket_directories = '$dir'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
deadlock_timeout = 50ms
dynamic_shared_memory_type = mmap
max_connections = 100
shared_buffers = 16MB
logging_collector = off
CONF
	if [ -n "$listen" ]; then
		echo "host all all ${hba:-0.0.0.0/0} trust" >>"$dir/data/pg_hba.conf"
		echo "$listen" >"$dir/listen"
	fi
	if ! as_owner "$b/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" \
	    -w -t 30 start >/dev/null 2>&1; then
		echo "$me: the server did not start: $(tail -n 1 "$dir/data/server.log" 2>/dev/null)" >&2
		stop "$dir"; exit 3
	fi
	conninfo "$dir" "$(user)"
}

case "${1:-}:${2:-}" in
start:?*)
	dir=$2; shift 2
	listen= hba=
	if [ "${1:-}" = --listen ] && [ -n "${2:-}" ]; then listen=$2; shift 2
		# --hba CIDR: trust only those clients (a test's own subnet).
		if [ "${1:-}" = --hba ] && [ -n "${2:-}" ]; then hba=$2; shift 2; fi
	fi
	if [ $# -gt 0 ]; then
		echo "usage: $me start DIR [--listen ADDR [--hba CIDR]]" >&2; exit 2
	fi
	# Whatever stops us half-way removes what was made.
	trap 'stop "$dir"; exit 3' INT TERM HUP
	start "$dir" "$listen"
	;;
stop:?*) stop "$2" ;;
conninfo:?*) [ -d "$2/data" ] || { echo "$me: $2: no server" >&2; exit 3; }
	conninfo "$(cd "$2" && pwd)" "$(user)" ;;
*) echo "usage: $me start DIR [--listen ADDR [--hba CIDR]] | stop DIR | conninfo DIR" >&2; exit 2 ;;
esac
