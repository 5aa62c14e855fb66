#!/bin/sh
# Install the Debian packages that a make target needs, when any are
# missing: as root through apt-get, else through sudo.
#   sh tests/deps.sh build test bench fuzz
set -eu

pkgs=""
for want in "$@"; do
	case $want in
	build)	pkgs="$pkgs gcc make pkg-config libc6-dev libcurl4-openssl-dev"
		pkgs="$pkgs libjson-c-dev zlib1g-dev libdeflate-dev"
		pkgs="$pkgs libmicrohttpd-dev" ;;
	test)	pkgs="$pkgs perl mandoc python3 jq curl tzdata procps" ;;
	bench)	pkgs="$pkgs jq time" ;;
	fuzz)	pkgs="$pkgs clang libclang-rt-14-dev" ;;
	*)	echo "deps: unknown set: $want" >&2; exit 2 ;;
	esac
done

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps: need root or sudo to install:$missing" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet: fetch them only if needed.
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing ||
	{ $sudo apt-get update -q &&
	  $sudo apt-get install -y -q --no-install-recommends $missing; }
