#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server, for the token store's
# postgres backend tests:
#
#   scripts/postgres-test.sh go test ./internal/tokenstore/...
#
# It finds the server binaries (installing Debian's postgresql package when
# they are missing and this runs as root, as on a fresh CI machine),
# initializes a cluster in a temporary directory, starts it on 127.0.0.1 with
# a free port and its socket in that directory, exports
# OAUTH2_TEST_PG_CONN_STR for the command, and stops the server and removes
# the directory when the command ends, whatever its outcome. The command's
# exit status is the script's.
#
# PostgreSQL refuses to run as root, so as root the server runs as the
# "postgres" user the Debian package creates (or a system user made here).
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 command [args...]" >&2
	exit 2
fi

find_bindir() {
	if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
		echo "$PG_BINDIR"
		return
	fi
	local d
	# Newest major version first.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
		if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
			echo "$d"
			return
		fi
	done
	if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v pg_ctl)"
	fi
}

bindir=$(find_bindir)
if [ -z "$bindir" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "postgres-test: installing PostgreSQL from apt" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends postgresql >&2
		bindir=$(find_bindir)
	fi
fi
if [ -z "$bindir" ]; then
	echo "postgres-test: PostgreSQL server binaries not found; install them (apt-get install postgresql) or set PG_BINDIR" >&2
	exit 1
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/oauth2-pgtest.XXXXXX")
data="$workdir/data"
sock="$workdir/sock"
mkdir -p "$sock"

run_as=()
if [ "$(id -u)" -eq 0 ]; then
	pguser=postgres
	if ! id "$pguser" >/dev/null 2>&1; then
		pguser=oauth2pgtest
		id "$pguser" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser"
	fi
	chown -R "$pguser" "$workdir"
	if command -v runuser >/dev/null 2>&1; then
		run_as=(runuser -u "$pguser" --)
	else
		run_as=(su -s /bin/sh "$pguser" -c '"$0" "$@"')
	fi
fi

# Started servers are stopped and the directory removed on every exit path.
started=0
cleanup() {
	local rc=$?
	if [ "$started" -eq 1 ]; then
		(cd "$workdir" && "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1) || true
	fi
	rm -rf "$workdir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

user=oauth2test
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" >"$workdir/pwfile"
if [ "$(id -u)" -eq 0 ]; then chown "$pguser" "$workdir/pwfile"; fi
chmod 600 "$workdir/pwfile"

# The server's user may not be able to enter the caller's directory.
origdir=$PWD
cd "$workdir"
"${run_as[@]}" "$bindir/initdb" -D "$data" -U "$user" --pwfile="$workdir/pwfile" \
	--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$workdir/initdb.log" 2>&1 || {
	cat "$workdir/initdb.log" >&2
	exit 1
}
rm -f "$workdir/pwfile"

# A port is free when nothing answers on it; another process may still take
# it before the server binds, so starting is retried on a new port.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

port=
for attempt in 1 2 3 4 5; do
	port=$(free_port)
	# fsync off: the data is thrown away, and it keeps the tests fast.
	if "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$workdir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null; then
		started=1
		break
	fi
	echo "postgres-test: start on port $port failed (attempt $attempt)" >&2
	tail -n 5 "$workdir/server.log" >&2 || true
done
if [ "$started" -ne 1 ]; then
	echo "postgres-test: PostgreSQL did not start" >&2
	exit 1
fi

"$bindir/psql" -h "$sock" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -q \
	-c "CREATE DATABASE oauth2_test" >/dev/null

export OAUTH2_TEST_PG_CONN_STR="postgres://$user:$password@127.0.0.1:$port/oauth2_test?sslmode=disable"
echo "postgres-test: PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') on 127.0.0.1:$port;" \
	"OAUTH2_TEST_PG_CONN_STR=postgres://$user:***@127.0.0.1:$port/oauth2_test?sslmode=disable" >&2

cd "$origdir"
set +e
"$@"
rc=$?
set -e
exit "$rc"
