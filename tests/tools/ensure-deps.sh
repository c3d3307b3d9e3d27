#!/bin/sh
# ensure-deps.sh PKG... - make sure the Debian packages ckconv builds and
# tests with are installed.  As root they are installed with apt-get;
# otherwise the exact command is printed and the build stops.
missing=""
for p in "$@"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
  case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "ckconv: installing missing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 && exit 0
  echo "ckconv: apt-get failed" >&2
  exit 1
fi
echo "ckconv: missing Debian packages:$missing" >&2
echo "run as root:  apt-get update && apt-get install -y$missing" >&2
exit 1
