#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every bundled plugin is a tool of its own: "emf-agent PLUGIN --help" lists each
# const volatile option its .bpf.c declares, as a long option (the name without a
# target_/targ_ prefix, '-' for '_') with its friendly type and a description that is
# not empty; --list shows the same entries, all within 80 columns. Needs no root:
# nothing loads.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
AGENT="$top_builddir/apps/emf-agent"
failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

list=$("$AGENT" --list 2>&1) || { echo "$list"; fail "emf-agent --list failed"; }
n_plugins=0 n_opts=0
for src in "$top_srcdir"/plugins/*/*.bpf.c; do
	plugin=$(basename "$src" .bpf.c)
	help=$("$AGENT" "$plugin" --help 2>&1) || { fail "emf-agent $plugin --help failed: $help"; continue; }
	head -1 <<< "$help" | grep -qx "Usage: emf-agent $plugin \[OPTIONS\]" ||
		fail "$plugin --help: usage line is '$(head -1 <<< "$help")'"
	grep -q -- '^  -j, --json' <<< "$help" || fail "$plugin --help lacks the agent's --json"
	grep -q -- '--plugin-dir' <<< "$help" && fail "$plugin --help shows --plugin-dir, which does not apply"
	n_plugins=$((n_plugins + 1))
	# The options, from the source: "const volatile TYPE NAME[N] = ...;"
	for opt in $(sed -n 's/^const volatile [^=;]*[^a-zA-Z0-9_]\([a-zA-Z_][a-zA-Z0-9_]*\)\( *\[[^]]*\]\)\? *[=;].*/\1/p' "$src"); do
		long=${opt#target_}
		long=${long#targ_}
		long=${long//_/-}
		n_opts=$((n_opts + 1))
		# "      --LONG[=TYPE]  description", or the description on the next line.
		entry=$(grep -A1 -E -- "^      --$long(=| |\$)" <<< "$help")
		[ -n "$entry" ] || { fail "$plugin --help does not list option $opt as --$long"; continue; }
		first=$(head -1 <<< "$entry")
		# Descriptions start at column 26; after a long option of 24 or more, a line lower.
		left=$(sed -E 's/^(      --[^ ]+( [^ ]+)?).*/\1/' <<< "$first")
		if [ ${#left} -ge 24 ]; then
			desc=$(tail -n +2 <<< "$entry" | sed 's/^ *//')
		else
			desc=$(cut -c26- <<< "$first")
		fi
		[ -n "$desc" ] || fail "$plugin: option --$long has no description"
		grep -qF -- "$first" <<< "$list" || fail "--list does not show '$first' of $plugin"
		echo "ok: $plugin --$long: $desc"
	done
done
[ "$n_plugins" -ge 5 ] || fail "only $n_plugins bundled plugins found under $top_srcdir/plugins"
[ "$n_opts" -ge 5 ] || fail "only $n_opts options found in the bundled plugins"

# Both fit a terminal: no line wider than 80 columns; an unsigned "-1 for all"
# default shows as -1, not as its largest value.
wide=$({ echo "$list"; for src in "$top_srcdir"/plugins/*/*.bpf.c; do
	"$AGENT" "$(basename "$src" .bpf.c)" --help 2>&1; done; } | awk 'length > 80')
[ -z "$wide" ] || fail "--list or --help lines wider than 80 columns: $wide"
grep -q -- '--uid=uid .*(default: -1)$' <<< "$list" ||
	fail "--list does not show opensnoop's --uid default as -1"
grep -q '4294967295' <<< "$list" && fail "--list shows a default of 4294967295"

# A name that is no plugin is a usage error that says where the names are.
msg=$("$AGENT" nosuchplugin --help 2>&1)
[ $? = 2 ] || fail "emf-agent nosuchplugin: exit status is not 2"
grep -q "no built-in plugin named 'nosuchplugin'; 'emf-agent --list' shows them" <<< "$msg" ||
	fail "emf-agent nosuchplugin: $msg"

[ "$failed" = 0 ] || { echo "FAIL: $failed problems"; exit 1; }
echo "PASS: $n_plugins plugins, $n_opts options, each listed with a description"
