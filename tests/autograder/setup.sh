#!/usr/bin/env bash
# Gradescope setup for banklab: runs once, as root, when the autograder
# image is built.  The autograder zip (made by `make autograder`) is
# unpacked in $AUTOGRADER_ROOT/source and holds this script, run_autograder
# and banklab's `make dist` tarball (the full tree, solutions included).
# This script installs the packages the build needs, unpacks the tarball
# into $AUTOGRADER_ROOT/source/banklab and builds it there; run_autograder
# then grades each submission with that tree's `make grade`.
#
# Environment: AUTOGRADER_ROOT (default /autograder); AUTOGRADER_SKIP_APT=1
# skips the apt step (tests and CI already have the packages).
set -euo pipefail
exec </dev/null

ROOT=${AUTOGRADER_ROOT:-/autograder}
SRC=$ROOT/source
TREE=$SRC/banklab
PACKAGES=(build-essential autoconf automake pkgconf check libjson-c-dev jq
	patch libmicrohttpd-dev libcurl4-openssl-dev libpq-dev)

# Nothing from a make that might have started us (a test) reaches ours.
unset MAKEFLAGS MFLAGS MAKELEVEL

die() {
	echo "setup.sh: $*" >&2
	exit 1
}

start=$SECONDS
if [ "${AUTOGRADER_SKIP_APT:-0}" != 1 ]; then
	echo "setup.sh: installing ${PACKAGES[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
fi

shopt -s nullglob
tarballs=("$SRC"/banklab-*.tar.gz)
shopt -u nullglob
[ "${#tarballs[@]}" -eq 1 ] ||
	die "want exactly one banklab-*.tar.gz in $SRC, found ${#tarballs[@]}"

echo "setup.sh: unpacking ${tarballs[0]##*/} into $TREE"
rm -rf "$TREE"
mkdir -p "$TREE"
tar -xzf "${tarballs[0]}" -C "$TREE" --strip-components=1 --no-same-owner

cd "$TREE"
[ -f solutions/semaphore.c ] ||
	die "${tarballs[0]##*/} has no solutions/: use \`make autograder' (make dist), not make student-dist"
echo "setup.sh: building in $TREE"
./configure -q || die "configure failed (see $TREE/config.log)"
make -j2 -s || die "make failed"
[ -f lab/liblab.a ] || die "the build left no lab/liblab.a"
echo "setup.sh: done in $((SECONDS - start)) s"
