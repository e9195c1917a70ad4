# Starting and waiting for a `tallylog serve` (or `witness serve`) in shell tests, sourced by
# tests/cli/*_test.sh, tests/http/hostile_requests.sh and tests/browser/run.sh.
#
# Why these and not a port picked in advance: a port chosen by one process and released before the
# server binds it can be taken by another test running in parallel (ctest -j), so every server here
# listens on port 0 and the test reads the port the server prints. Every wait is bounded by time, not
# by a number of tries (CI runs these under ASan on a busy 2-core machine, where a try can take
# seconds), and every request has a time limit, so a server that accepts and never answers fails a
# check instead of hanging the test until ctest's timeout.

# curl with a time limit on every request.
curl() { command curl --max-time "${CURL_MAX_TIME:-30}" "$@"; }

# wait_for <seconds> <command...>: runs the command until it succeeds or the time is up.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}

# listening_port <log file> [seconds]: waits (default 120 s) until the server logging to <log file>
# says where it listens ("... on http://127.0.0.1:<port>/"); prints the port. Fails, printing the
# log, if it never does.
listening_port() {
  if ! wait_for "${2:-120}" grep -q 'on http://127\.0\.0\.1:[0-9]*/' "$1"; then
    echo "no server started; its log:" >&2
    cat "$1" >&2
    return 1
  fi
  grep -o 'on http://127\.0\.0\.1:[0-9]*/' "$1" | head -1 | grep -o '[0-9]*/$' | tr -d /
}

# free_port: a port nobody listens on right now, for a test of "server unreachable" (never for
# starting a server: see above).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
