#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests and benchmarks (issue 15): no system service assumed.
#
#   scripts/pg_test_server.sh start <dir> [owner pid]
#                                           initdb in <dir>/data, start it listening only on a Unix
#                                           socket in <dir> (no TCP port to collide on), print its URL;
#                                           with an owner pid, a watcher stops the server once that
#                                           process is gone (a crashed test leaves no server behind)
#   scripts/pg_test_server.sh stop <dir>    stop it (immediate shutdown)
#   scripts/pg_test_server.sh resume <dir>  start a server stopped with `stop` again, on the same
#                                           socket (a database restart, for outage tests)
#
# <dir> must exist and be empty (a fresh temporary directory). As root the server runs as Debian's
# `postgres` user (PostgreSQL refuses to run as root) and <dir> is handed to it. Extra server
# settings: TALLYLOG_PG_OPTS (e.g. "-c fsync=off" for tests). Binaries: TALLYLOG_PG_BIN
# (default /usr/lib/postgresql/15/bin, Debian's postgresql-15).
set -euo pipefail
cmd=${1:?usage: pg_test_server.sh start|stop <dir>}
dir=${2:?usage: pg_test_server.sh start|stop <dir>}
dir=$(cd "$dir" && pwd)
BIN=${TALLYLOG_PG_BIN:-/usr/lib/postgresql/15/bin}
as_pg=()
if [[ $(id -u) == 0 ]]; then
  as_pg=(runuser -u postgres --)
fi
case "$cmd" in
  start)
    [[ -x "$BIN/initdb" ]] || { echo "pg_test_server.sh: $BIN/initdb not found (install postgresql-15: scripts/install-deps.sh)" >&2; exit 1; }
    if [[ $(id -u) == 0 ]]; then chown postgres: "$dir"; chmod 0755 "$dir"; fi
    "${as_pg[@]}" "$BIN/initdb" -D "$dir/data" -U tallylog --auth=trust --no-sync -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    if ! "${as_pg[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p 5432 ${TALLYLOG_PG_OPTS:-}" start >/dev/null; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    if [[ -n "${3:-}" ]]; then
      owner=$3
      setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -d "$2/data" ]]; do sleep 1; done
        "${@:4}" "$3/pg_ctl" -D "$2/data" -m immediate -w stop' watcher "$owner" "$dir" "$BIN" "${as_pg[@]}" \
        </dev/null >/dev/null 2>&1 &
    fi
    echo "postgresql:///postgres?host=$dir&port=5432&user=tallylog"
    ;;
  stop)
    "${as_pg[@]}" "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  resume)
    if ! "${as_pg[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p 5432 ${TALLYLOG_PG_OPTS:-}" start >/dev/null; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    ;;
  *)
    echo "pg_test_server.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
