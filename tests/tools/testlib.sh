# testlib.sh - what the shell test suites share (sourced, not run).
#
# A temporary folder "$tmp" removed on exit, pass/fail counters with ok and
# ko (ko prints the failure), quiet (runs a command and shows its output
# only when it fails) and tree_hash (one digest of every file of a folder,
# to prove an input was not touched).  A suite prints its own summary.
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
quiet() { "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log"; return 1; }; }
tree_hash() { (cd "$1" && find . -type f | sort | xargs sha256sum) | sha256sum; }
