#!/bin/sh
# Regenerate configure and Makefile.in from configure.ac and Makefile.am.
# Needs autoconf, automake and pkgconf (for pkg.m4); no libtool.
set -e
cd "$(dirname "$0")"
autoreconf -fi
