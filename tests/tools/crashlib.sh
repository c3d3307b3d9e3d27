# crashlib.sh - what the crash suites share (tests/crash/run.sh and
# resume.sh; sourced, not run): counters with ok and ko, a temporary
# folder removed on exit (after unmounting the small tmpfs a test may
# mount at "$mnt"), tree_hash (one digest of a folder, to prove an input
# was not touched), leftovers (the names in a folder, on one line) and q
# (run quietly, show the first lines of the output on failure).
pass=0
fail=0
tmp=$(mktemp -d)
mnt=""
cleanup() {
  [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
tree_hash() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum; }
leftovers() { ls -A "$1" | tr '\n' ' '; }
q() { "$@" >"$tmp/log" 2>&1 || { sed 's/^/  | /' "$tmp/log" | head -n 5; return 1; }; }
