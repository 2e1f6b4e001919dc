#!/bin/sh
# check_layers.sh: lab/'s include graph keeps to lab/LAYERS (layers.sh on
# the tree), and the check can fail: a copy of lab/ whose ledger includes
# the bank (a layer up), and one with a module no layer names, must each
# be refused with a line that names the file.
src=${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
here=$src/tests/layers.sh
fail=0
no() { echo "FAIL: $*"; fail=$((fail + 1)); }

out=$(sh "$here" "$src") || no "the tree: $out"
echo "${out:-the tree keeps its layers}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/banklab-layers.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/up/lab" "$tmp/new/lab"
cp -R "$src/lab/." "$tmp/up/lab/"
cp -R "$src/lab/." "$tmp/new/lab/"
printf '#include "bank.h"\n' >> "$tmp/up/lab/ledger.c"
printf '#include "lab.h"\n' > "$tmp/new/lab/nowhere.c"

out=$(sh "$here" "$tmp/up") && no "an include a layer up was not refused"
case $out in
*'lab/ledger.c (ledger) includes "bank.h" (bank): a layer up'*) ;;
*) no "the refusal does not name the include: $out" ;;
esac
out=$(sh "$here" "$tmp/new") && no "a module in no layer was not refused"
case $out in
*'lab/nowhere.c: in no layer of lab/LAYERS'*) ;;
*) no "the refusal does not name the file: $out" ;;
esac
echo "$((3 - fail)) passed, $fail failed"
[ $fail -eq 0 ]
