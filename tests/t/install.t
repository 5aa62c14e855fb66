#!/bin/sh
# make install honours PREFIX and DESTDIR, and installs programs and
# manuals that work.
. "$(dirname "$0")/../lib.sh"

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$PH_SRC" O="$PH_BIN" \
    install DESTDIR="$T/root" PREFIX=/opt/ph >"$T/out" 2>"$T/err"
status=$?
is_status "make install DESTDIR=\$T/root PREFIX=/opt/ph: exit 0" 0
for f in bin/ph-fetch bin/ph-clean bin/ph-send share/man/man1/ph-fetch.1 \
    share/man/man1/ph-clean.1 share/man/man1/ph-send.1 share/man/man7/ph.7
do
	check "  installs $f" test -f "$T/root/opt/ph/$f"
done
check "  the programs are executable" test -x "$T/root/opt/ph/bin/ph-fetch"
run "$T/root/opt/ph/bin/ph-send" --version
is "  and run" "$(cat "$T/out")" "ph-send 0.1.0"
check "  nothing outside DESTDIR" test ! -e /opt/ph/bin/ph-send

# Each program links only the libraries it calls.
needs() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(lib[a-z-]*\).*/\1/p' |
	    grep -E '^lib(curl|json-c|z|deflate|microhttpd)$' | tr '\n' ' '
}
is "ph-clean needs none of libcurl, json-c, zlib, libdeflate, libmicrohttpd" \
    "$(needs "$PH_CLEAN")" ""
is "ph-fetch needs libcurl and json-c" "$(needs "$PH_FETCH")" \
    "libcurl libjson-c "
is "ph-send needs libcurl, json-c and libdeflate" "$(needs "$PH_SEND")" \
    "libcurl libjson-c libdeflate "

done_testing
