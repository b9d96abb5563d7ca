#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the tests, installing the Debian package if needed.
#   tests/scripts/postgres.sh start DIR   -> prints the database URL on stdout
#   tests/scripts/postgres.sh stop DIR
# Runs the server as the `postgres` user when called as root (PostgreSQL refuses to run as root).
set -euo pipefail

action=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

find_bin() {
  local candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    if [[ -x "$candidate/pg_ctl" ]]; then echo "$candidate"; return 0; fi
  done
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0; fi
  return 1
}

bin=$(find_bin || true)
if [[ -z "$bin" && "$action" == start ]]; then
  echo "installing postgresql (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; })
  bin=$(find_bin)
fi
[[ -n "$bin" ]] || { echo "PostgreSQL binaries not found" >&2; exit 2; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    mkdir -p "$dir"
    # The cluster lives in a folder of its own that the server's user can reach (test temp
    # folders are often private to root); $dir only remembers where it is.
    pgdir=$(as_owner mktemp -d /tmp/dropout-risk-pg.XXXXXX)
    echo "$pgdir" >"$dir/pgdir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
    as_owner "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres dropout_risk_test
    echo "$port" >"$dir/port"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/dropout_risk_test"
    ;;
  stop)
    pgdir=$(cat "$dir/pgdir" 2>/dev/null || true)
    if [[ -n "$pgdir" && -d "$pgdir/data" ]]; then
      as_owner "$bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >&2 || true
      rm -rf "$pgdir"
    fi
    ;;
  *)
    echo "unknown action $action" >&2; exit 2;;
esac
