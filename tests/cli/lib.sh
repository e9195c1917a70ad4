# The preamble shared by the CLI tests (tests/cli/*_test.sh), sourced right after `set -u`:
#   source "$(dirname "$0")/lib.sh" "$@"       # $1 = the tallylog binary, $2 = the source dir
# Gives T (binary), SRC (source dir), D (a temporary directory removed at exit), check and finish.
T="$1"
SRC="$2"
D="$(mktemp -d)"
trap 'rm -rf "$D"' EXIT
fails=0

# check <what> <condition>: the condition is evaluated with $? still that of the command before
# the call, so `OUT="$(cmd)"; check "..." '[ $? = 0 ] && ...'` tests cmd's exit status.
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }

# finish: the test's status, last: fails when any check failed.
finish() {
  if [ "$fails" = 0 ]; then echo "all passed"; else echo "$fails failed"; exit 1; fi
}
