# Sourced by the benchmarks that run serve nodes on one log in PostgreSQL (bench/nodes.sh,
# bench/follower_scale.sh), after ROOT is set: a fresh work directory $D, a throwaway PostgreSQL
# server in $D/pg (scripts/pg_test_server.sh, a Unix socket) at $URL, and the array PIDS of
# background processes to stop. At exit every one of them is stopped, the server too, and $D
# removed, whichever already exited (set -e also holds in the trap, hence the `|| true`).
D=$(mktemp -d)
chmod 0755 "$D"
mkdir "$D/pg"
PG="$ROOT/scripts/pg_test_server.sh"
URL=$("$PG" start "$D/pg" $$)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; "$PG" stop "$D/pg" 2>/dev/null || true; rm -rf "$D"' EXIT
