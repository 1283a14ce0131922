#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-new without the kernel: every refusal (bad or taken names, existing or
# missing destinations, unknown hooks, broken templates, bad usage) exits
# non-zero with a message saying what and why, and leaves the destination
# exactly as it was; good names write exactly the expected files.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
NEW="$top_builddir/templates/emf-new"
export EMF_TEMPLATES="$top_srcdir/templates"
TMPD=$(mktemp -d /tmp/emf-new-test.XXXXXX)
trap 'chmod -R u+w "$TMPD" 2>/dev/null; rm -rf "$TMPD"' EXIT
W="$TMPD/w"
mkdir "$W" "$W/taken" "$W/notaplugin"
touch "$W/afile"
ln -s "$W/nowhere" "$W/dangling"
umask 022

[ -x "$NEW" ] || { echo "FAIL: $NEW not built"; exit 1; }
failed=0
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# Everything under $W, hidden files included, with sizes: any write shows.
snapshot() {
	(cd "$W" && find . -printf '%p %s %m\n' | sort)
}

# refuse RC REGEX ARGS...: emf-new ARGS exits RC, says something matching REGEX
# on stderr, and changes nothing under $W.
refuse() {
	local rc=$1 re=$2 before after err got
	shift 2
	before=$(snapshot)
	err=$(cd "$W" && "$NEW" "$@" 2>&1 > /dev/null)
	got=$?
	after=$(snapshot)
	if [ "$got" != "$rc" ]; then
		fail "emf-new $*: exit $got, want $rc: $err"
	elif ! grep -qE -- "$re" <<< "$err"; then
		fail "emf-new $*: message does not match /$re/: $err"
	elif [ "$before" != "$after" ]; then
		fail "emf-new $*: changed $W:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
	else
		echo "ok: emf-new $* -> exit $got: $(head -1 <<< "$err")"
	fi
}

# Names
refuse 1 "plugin name '1abc' is not a C identifier" plugin 1abc
refuse 1 "plugin name 'my-plugin' is not a C identifier" plugin my-plugin
refuse 1 "plugin name 'a.b' is not a C identifier" plugin a.b
refuse 1 "plugin name 'a b' is not a C identifier" plugin "a b"
refuse 1 "plugin name 'caf.*' is not a C identifier" plugin "café"
refuse 1 "plugin name '../x' is not a C identifier" plugin ../x
refuse 1 "plugin name '\\\$\(id\)' is not a C identifier" plugin '$(id)'
refuse 1 "plugin name '__x' is reserved in C" plugin __x
refuse 1 "plugin name '_Xy' is reserved in C" plugin _Xy
refuse 1 "plugin name 'emf_foo' starts with 'emf_', which is reserved for the SDK" plugin emf_foo
long=$(printf 'p%.0s' $(seq 1 65))
refuse 1 "plugin name '$long' is 65 characters long: use at most 64" plugin "$long"
bundled=$(sed -n "s/^BUNDLED='\(.*\)'$/\1/p" "$NEW")
[ -n "$bundled" ] || fail "emf-new knows no bundled plugin (BUNDLED is empty)"
for b in $bundled; do
	refuse 1 "plugin name '$b' is taken by a plugin bundled with emf" plugin "$b"
done
refuse 2 "the plugin needs a NAME" plugin
refuse 2 "the plugin needs a NAME" plugin ""
refuse 1 "agent name '9lives' is not valid" agent 9lives
refuse 1 "agent name 'my agent' is not valid" agent "my agent"
refuse 1 "agent name 'a/b' is not valid" agent a/b
refuse 2 "the agent needs a NAME" agent

# Destinations
refuse 1 "'./taken' already exists: choose another name or --dir; nothing was overwritten" plugin taken
refuse 1 "'./afile' already exists" plugin afile
refuse 1 "'./dangling' already exists" plugin dangling
refuse 1 "'$W/taken' already exists" agent taken --dir "$W"
refuse 1 "directory '$TMPD/none' does not exist" plugin good --dir "$TMPD/none"
refuse 1 "'afile' is not a directory: choose another --dir" plugin good --dir afile

# Hooks
refuse 1 "unknown hook kind 'kretprobe': choose one of: .*tracepoint" plugin good --hook kretprobe
refuse 1 "unknown hook kind 'a;b'" plugin good --hook 'a;b'
refuse 1 "unknown hook kind '../hooks/x'" plugin good --hook ../hooks/x
# tc declares both its targets, no C code.
(cd "$W" && "$NEW" plugin good_tc --hook=tc > /dev/null) || fail "emf-new plugin good_tc --hook=tc failed"
grep -q 'SEC("tc") EMF_ATTACH_TC_INGRESS(ifname)' "$W/good_tc/good_tc.bpf.c" &&
	grep -q 'SEC("tc") EMF_ATTACH_TC_EGRESS(ifname)' "$W/good_tc/good_tc.bpf.c" ||
	fail "good_tc.bpf.c does not declare its TC targets"
[ ! -e "$W/good_tc/good_tc.hooks.c" ] || fail "emf-new plugin --hook tc wrote a hooks.c"

# Agent plugins
refuse 1 "plugin directory '$TMPD/none' does not exist" agent good --plugin "$TMPD/none"
refuse 1 "'notaplugin' is not a plugin directory: it needs notaplugin.bpf.c and the Makefile" agent good --plugin notaplugin
mkdir -p "$W/sp ace/sp" && touch "$W/sp ace/sp/sp.bpf.c" "$W/sp ace/sp/Makefile"
refuse 1 "plugin directory 'sp ace/sp' resolves to '../sp ace/sp', a path a Makefile cannot take" agent good --plugin "sp ace/sp"

# Usage
refuse 2 "unknown command 'good': 'plugin' or 'agent'" good
refuse 2 "missing command"
refuse 2 "unknown command 'plugins'" plugins good
refuse 2 "unknown option '--frobnicate'" plugin good --frobnicate
refuse 2 "option --dir needs an argument" plugin good --dir
refuse 2 "unexpected argument 'extra'" plugin good extra
refuse 2 "--plugin goes with 'emf-new agent'" plugin good --plugin taken
refuse 2 "--hook goes with 'emf-new plugin'" agent good --hook uprobe
refuse 2 "--user-hooks goes with 'emf-new plugin'" agent good --user-hooks

# Broken templates: a failure midway leaves nothing, not even a temporary directory.
cp -r "$top_srcdir/templates" "$TMPD/broken"
chmod -R u+w "$TMPD/broken"
rm "$TMPD/broken/plugin/README.md.tmpl"
refuse 1 "cannot read template $TMPD/broken/plugin/README.md.tmpl: .*nothing was written" plugin good --templates "$TMPD/broken"
refuse 1 "templates not found in $TMPD/none" plugin good --templates "$TMPD/none"
EMF_TEMPLATES="$TMPD/none" refuse 1 "templates not found in $TMPD/none" plugin good

# Good names write exactly the expected files, fully substituted, mode 755/644.
(cd "$W" && "$NEW" plugin good_1 --hook uprobe > /dev/null) || fail "emf-new plugin good_1 failed"
got=$(cd "$W/good_1" && find . -printf '%p %m\n' | sort | tr '\n' ' ')
want=". 755 ./Makefile 644 ./README.md 644 ./good_1.bpf.c 644 ./good_1.h 644 "
[ "$got" = "$want" ] || fail "emf-new plugin good_1 wrote: $got; want: $want"
grep -n '@[A-Za-z_]*@' "$W/good_1"/* && fail "placeholders left in good_1/"
grep -q 'SEC("uprobe/' "$W/good_1/good_1.bpf.c" || fail "good_1.bpf.c is not the uprobe template"
grep -q '^NAME = good_1$' "$W/good_1/Makefile" || fail "good_1/Makefile does not name the plugin"
grep -q '^#ifndef __GOOD_1_H$' "$W/good_1/good_1.h" || fail "good_1.h has no include guard"
# ... and a second time, it is refused without touching them.
refuse 1 "'./good_1' already exists" plugin good_1
(cd "$W" && "$NEW" plugin good_2 --user-hooks > /dev/null) || fail "emf-new plugin good_2 --user-hooks failed"
got=$(cd "$W/good_2" && ls | tr '\n' ' ')
[ "$got" = "Makefile README.md good_2.bpf.c good_2.h good_2.hooks.c " ] || fail "emf-new plugin good_2 --user-hooks wrote: $got"
grep -q '^const struct emf_plugin_hooks good_2__hooks = {$' "$W/good_2/good_2.hooks.c" ||
	fail "good_2.hooks.c does not define good_2__hooks"
grep -q 'SEC("tp/' "$W/good_2/good_2.bpf.c" || fail "the default hook kind is not tracepoint"
# xdp brings its own header and declares its attach target: no C code.
(cd "$W" && "$NEW" plugin good_3 --hook xdp > /dev/null) || fail "emf-new plugin good_3 --hook xdp failed"
got=$(cd "$W/good_3" && ls | tr '\n' ' ')
[ "$got" = "Makefile README.md good_3.bpf.c good_3.h " ] || fail "emf-new plugin good_3 --hook xdp wrote: $got"
grep -q 'SEC("xdp") EMF_ATTACH_XDP(ifname)' "$W/good_3/good_3.bpf.c" || fail "good_3.bpf.c does not declare its XDP target"
grep -q 'emf_ipv4_t saddr;' "$W/good_3/good_3.h" || fail "good_3.h is not the xdp event header"

(cd "$W" && "$NEW" agent my-agent --plugin good_1 > /dev/null) || fail "emf-new agent my-agent failed"
got=$(cd "$W/my-agent" && find . -printf '%p\n' | sort | tr '\n' ' ')
[ "$got" = ". ./Makefile ./README.md ./my-agent.c " ] || fail "emf-new agent my-agent wrote: $got"
grep -q '^PLUGINS ?= ../good_1$' "$W/my-agent/Makefile" || fail "my-agent/Makefile does not link ../good_1"
grep -n '@[A-Za-z_]*@' "$W/my-agent"/* && fail "placeholders left in my-agent/"
refuse 1 "'./my-agent' already exists" agent my-agent

# --list-hooks names every template with what it traces.
hooks=$("$NEW" --list-hooks) || fail "emf-new --list-hooks failed"
for h in tracepoint raw_tp tp_btf uprobe xdp kprobe fentry; do
	grep -qE "^$h +[^ ].+" <<< "$hooks" || fail "--list-hooks does not describe $h: $hooks"
done
"$NEW" --help | grep -q '^Usage: emf-new plugin NAME' || fail "emf-new --help"
"$NEW" --version | grep -qE '^emf-new [0-9]' || fail "emf-new --version"

[ "$failed" = 0 ] || { echo "FAIL: $failed checks failed"; exit 1; }
echo "PASS: emf-new refusals and outputs"
