#!/bin/sh
# layers.sh [--graph] [SRCDIR]: check that every #include "..." in lab/
# (and lab/exercises/) goes to a header of the same layer or one below, as
# lab/LAYERS orders them; print one line per include that goes up, or per
# file no layer names, and exit 1.  --graph prints the include graph by
# layer instead (the closing note's figure), and still checks.
# `make check` runs it, and once more on a copy with an include that goes
# up, which must fail (so the check itself is checked).
graph=0
if [ "${1:-}" = --graph ]; then graph=1; shift; fi
src=${1:-${BANKLAB_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}}
[ -f "$src/lab/LAYERS" ] || { echo "layers.sh: $src/lab/LAYERS: not found" >&2; exit 2; }

# One line per include: FILE HEADER (both as module names and paths).
for f in "$src"/lab/*.[ch] "$src"/lab/exercises/*.c; do
	[ -f "$f" ] || continue
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
	    while read -r h; do printf '%s %s\n' "${f#"$src"/}" "$h"; done
	printf '%s -\n' "${f#"$src"/}"	# every file, includes or not
done | awk -v graph="$graph" -v layers="$src/lab/LAYERS" '
function module(path,   m) {
	m = path; sub(/.*\//, "", m); sub(/\..*/, "", m); return m
}
BEGIN {
	while ((getline line < layers) > 0) {
		if (line ~ /^[[:space:]]*(#|$)/) continue
		n = split(line, w, /[[:space:]]+/)
		name[++nl] = w[1]
		for (i = 2; i <= n; i++) level[w[i]] = nl
	}
	bad = 0
}
{
	file = $1; m = module(file)
	if (!(m in level)) {
		if (!(file in unknown)) {
			printf "%s: in no layer of lab/LAYERS\n", file
			unknown[file] = 1; bad = 1
		}
		next
	}
	if ($2 == "-") next
	h = module($2)
	if (!(h in level)) {
		printf "%s: includes \"%s\", in no layer of lab/LAYERS\n", file, $2
		bad = 1; next
	}
	if (level[h] > level[m]) {
		printf "%s (%s) includes \"%s\" (%s): a layer up\n", file, \
		    name[level[m]], $2, name[level[h]]
		bad = 1
	}
	if (level[h] != level[m]) edge[level[m], level[h]] = 1
	if (h != m) uses[m] = uses[m] " " h
}
END {
	if (graph) {
		for (i = nl; i >= 1; i--) {
			s = ""
			for (j = i - 1; j >= 1; j--)
				if ((i, j) in edge) s = s " " name[j]
			printf "%-10s -> %s\n", name[i], s == "" ? " (nothing)" : s
		}
	}
	exit bad
}'
