#!/usr/bin/env bash
# A private PostgreSQL server for the tests (Debian's postgresql package): a fresh cluster in DIR,
# listening on 127.0.0.1 only, trust authentication, superuser "warden". Prints the URL prefix the
# tests read from WARDEN_TEST_POSTGRES (they add "/<database>" and create their own databases).
#
#   scripts/postgres-test-server.sh start DIR [PORT]   # prints postgresql://warden@127.0.0.1:PORT
#   scripts/postgres-test-server.sh stop DIR
#
# Run as root it runs the server as the "postgres" user (initdb refuses root).
set -euo pipefail
cmd="${1:?usage: postgres-test-server.sh start|stop DIR [PORT]}"
dir="${2:?usage: postgres-test-server.sh start|stop DIR [PORT]}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "postgres-test-server: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    port="${3:-}"
    if [ -z "$port" ]; then  # a port nothing answers on (bash's /dev/tcp: no other tool needed)
      for _ in $(seq 100); do
        candidate=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
      done
      [ -n "$port" ] || { echo "postgres-test-server: no free port found" >&2; exit 1; }
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U warden -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # Tests only: no fsync (they never survive a machine crash), sockets in DIR.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://warden@127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  *)
    echo "postgres-test-server: unknown command '$cmd' (start or stop)" >&2
    exit 2
    ;;
esac
