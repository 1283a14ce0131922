#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The files of libemfsdk.a depend on each other one way only: the import
# graph of sdk/src, read from the archive (an edge A -> B when A uses a symbol
# B defines), has no cycle. On failure it prints every cycle with the symbols
# that make each of its edges; on success, each file's layer (0: uses no
# other file; n: uses files of layers below n at most).
: "${top_builddir:=.}"
lib="$top_builddir/sdk/libemfsdk.a"
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
command -v nm > /dev/null || { echo "SKIP: nm (binutils) is not installed"; exit 77; }

check() {
	nm -A "$1" 2> /dev/null | awk '
function mod(s) { sub(/^.*:/, "", s); sub(/^libemfsdk_a-/, "", s); sub(/\.o$/, "", s); return s }
# "lib:member.o: VALUE TYPE NAME" or "lib:member.o:          U NAME"
{
	split($1, p, ":"); m = mod(p[2])
	if (!(m in mods)) { mods[m] = 1; names[++n] = m } # archive order: stable output
	if (NF == 3 && $2 ~ /^[A-Z]$/ && $2 != "U" && $2 != "W" && $2 != "V")
		def[$3] = m
	if ($(NF - 1) == "U") { n_use++; use_m[n_use] = m; use_s[n_use] = $NF }
}
END {
	for (i = 1; i <= n_use; i++) {
		a = use_m[i]; b = def[use_s[i]]
		if (b == "" || a == b) continue
		if (!((a, b) in via)) {
			via[a, b] = use_s[i]; n_edges++
		} else if (split(via[a, b], t, " ") < 3 && index(" " via[a, b] " ", " " use_s[i] " ") == 0) {
			via[a, b] = via[a, b] " " use_s[i] # up to three symbols name an edge
		}
		reach[a, b] = 1
	}
	# Transitive closure (Warshall): a file in a cycle reaches itself.
	for (k = 1; k <= n; k++)
		for (i = 1; i <= n; i++)
			if ((names[i], names[k]) in reach)
				for (j = 1; j <= n; j++)
					if ((names[k], names[j]) in reach)
						reach[names[i], names[j]] = 1
	bad = 0
	for (i = 1; i <= n; i++) {
		a = names[i]
		if (!((a, a) in reach) || (a in shown)) continue
		bad++; line = ""
		for (j = 1; j <= n; j++) {
			b = names[j]
			if ((a, b) in reach && (b, a) in reach) {
				shown[b] = 1; members[bad, b] = 1; line = line " " b
			}
		}
		print "FAIL: import cycle among" line
		for (j = 1; j <= n; j++) for (k = 1; k <= n; k++)
			if ((bad, names[j]) in members && (bad, names[k]) in members && (names[j], names[k]) in via)
				printf "  %s -> %s: %s\n", names[j], names[k], via[names[j], names[k]]
	}
	if (bad) {
		printf "FAIL: %d import cycles; move what both sides use into a file below both\n", bad
		exit 1
	}
	# Layers: a file sits one above the highest file it uses.
	do {
		changed = 0
		for (e in via) {
			split(e, ab, SUBSEP)
			if (lvl[ab[1]] < lvl[ab[2]] + 1) { lvl[ab[1]] = lvl[ab[2]] + 1; changed = 1 }
		}
	} while (changed)
	top = 0
	for (i = 1; i <= n; i++) if (lvl[names[i]] > top) top = lvl[names[i]]
	for (l = 0; l <= top; l++) {
		line = ""
		for (i = 1; i <= n; i++) if (lvl[names[i]] + 0 == l) line = line " " names[i]
		if (line != "") printf "layer %d:%s\n", l, line
	}
	printf "%d files, %d dependencies, no import cycle\n", n, n_edges
}'
}

# The check itself must see a cycle: two files that call each other.
TMPD=$(mktemp -d) || exit 1
trap 'rm -rf "$TMPD"' EXIT
echo 'int emf__b(void); int emf__a(void) { return emf__b(); }' > "$TMPD/a.c"
echo 'int emf__a(void); int emf__b(void) { return 1; } int emf__c(void) { return emf__a(); }' \
	> "$TMPD/b.c"
if ${CC:-cc} -c "$TMPD/a.c" -o "$TMPD/libemfsdk_a-a.o" &&
	${CC:-cc} -c "$TMPD/b.c" -o "$TMPD/libemfsdk_a-b.o" &&
	ar rc "$TMPD/lib.a" "$TMPD/libemfsdk_a-a.o" "$TMPD/libemfsdk_a-b.o"; then
	out=$(check "$TMPD/lib.a")
	grep -q '^FAIL: import cycle among a b$' <<< "$out" && grep -q '^  a -> b: emf__b$' <<< "$out" ||
		{ echo "FAIL: the check missed a planted cycle:"; echo "$out"; exit 1; }
else
	echo "FAIL: could not build the planted cycle"; exit 1
fi

check "$lib" || exit 1
echo "PASS: sdk/src has no import cycle"
