#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# emf-codegen on bad input: a clear message naming the file, struct or field, a non-zero
# exit, and nothing written. Then golden output: tests/codegen/alltypes must generate
# exactly tests/codegen/golden/alltypes.emf.{h,c} (EMF_UPDATE_GOLDEN=1 rewrites them).
# And --describe's schema of a bundled plugin.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
CODEGEN="$(cd "$top_builddir" && pwd)/codegen/emf-codegen"
VMLINUX="$(cd "$top_builddir" && pwd)/vmlinux.h"
TMPD=$(mktemp -d /tmp/emf-codegen-test.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# refuse DIR "expected message"
refuse() {
	local dir=$1 want=$2 out="$TMPD/out.${1//\//_}"
	mkdir -p "$out"
	(cd "$top_srcdir" && "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include "$dir" -o "$out") \
		> "$TMPD/msg" 2>&1
	local rc=$?
	[ $rc != 0 ] || fail "$dir: accepted, exit 0"
	grep -qF -- "$want" "$TMPD/msg" || { fail "$dir: message lacks '$want'"; cat "$TMPD/msg"; }
	[ -z "$(ls -A "$out")" ] || fail "$dir: left files behind: $(ls -A "$out")"
	echo "ok: $dir refused: $(grep -F -- "$want" "$TMPD/msg" | head -1)"
}

refuse tests/codegen/bad/missing "plugin directory tests/codegen/bad/missing: No such file or directory"
refuse tests/codegen/bad/nohdr "map 'events' of tests/codegen/bad/nohdr/nohdr.bpf.c sends events, but the plugin has no event header nohdr.h that defines their struct"
refuse tests/codegen/bad/broken "use of undeclared identifier 'undeclared_thing'"
refuse tests/codegen/bad/broken "failed to compile tests/codegen/bad/broken/broken.bpf.c"
refuse tests/codegen/bad/nouse "the object knows no struct of tests/codegen/bad/nouse/nouse.h: does the .bpf.c include it?"
refuse tests/codegen/bad/badtype "member 'ratio' of struct badtype__event"
refuse tests/codegen/bad/badstack "EMF_KSTACK on member 'frames' of struct event in tests/codegen/bad/badstack/badstack.h: want an array of 64-bit integers"
refuse tests/codegen/bad/badpid "EMF_USTACK(tgid) on member 'ustack' of struct event in tests/codegen/bad/badpid/badpid.h: want the name of a 32-bit integer member"
refuse tests/codegen/bad/twoevents "tests/codegen/bad/twoevents/twoevents.h defines 2 event structs; declare which one"
mkdir -p "$TMPD/bad name" && touch "$TMPD/bad name/bad name.bpf.c" "$TMPD/bad name/bad name.h"
refuse "$TMPD/bad name" "its name 'bad name' must be a C identifier"
mkdir -p "$TMPD/1st" && touch "$TMPD/1st/1st.bpf.c" "$TMPD/1st/1st.h"
refuse "$TMPD/1st" "its name '1st' must be a C identifier"

# A plugin without events needs no header (libbpf-bootstrap's minimal, printk only), and
# a '-' in the directory's name becomes '_' in its symbols; its files and its name keep it.
mkdir -p "$TMPD/my-minimal" && cp "$top_srcdir/tests/plugins/minimal/minimal.bpf.c" "$TMPD/my-minimal/my-minimal.bpf.c"
(cd "$top_srcdir" && "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include "$TMPD/my-minimal" -o "$TMPD/out.my-minimal") \
	> "$TMPD/msg" 2>&1 || { cat "$TMPD/msg"; fail "my-minimal (no header, '-' in its name): emf-codegen failed"; }
m="$TMPD/out.my-minimal/my-minimal.emf.c"
grep -q '^const struct emf_plugin_desc my_minimal__plugin = {$' "$m" && grep -q '	.name = "my-minimal",' "$m" &&
	grep -q '#include "my-minimal.skel.h"' "$m" || fail "my-minimal: symbols not my_minimal__*, or name/files not my-minimal"
if [ -n "${EMF_CC:-}" ]; then
	$EMF_CC -c -I"$top_srcdir/sdk/include" -I"$TMPD/out.my-minimal" $(pkg-config --cflags libbpf jansson 2> /dev/null) \
		-o "$TMPD/my-minimal.o" "$m" 2> "$TMPD/msg" || { cat "$TMPD/msg"; fail "my-minimal.emf.c does not compile"; }
fi
echo "ok: my-minimal, without a header and with '-' in its name, generates my_minimal__plugin"

# Tool directories compile as their own Makefiles compile them: tcpkt includes
# <linux/types.h> and <asm/errno.h> (UAPI style, no vmlinux.h), usdtsnoop <bpf/usdt.bpf.h>;
# both need the host's multiarch include directory that clang -v -E reports.
for d in tcpkt usdtsnoop; do
	(cd "$top_srcdir" && "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include \
		tests/codegen/realworld/$d -o "$TMPD/sys.$d") > "$TMPD/sys.$d.log" 2>&1 ||
		{ cat "$TMPD/sys.$d.log"; fail "$d: emf-codegen failed with system headers"; }
	[ -s "$TMPD/sys.$d/$d.emf.c" ] && echo "ok: $d compiles with the system include directories"
done
bpftool btf dump file "$TMPD/sys.tcpkt/tcpkt.bpf.o" | grep -q "STRUCT 'pkt'" ||
	fail "tcpkt: struct pkt is not in the object's BTF"

# Usage errors exit 2.
"$CODEGEN" > /dev/null 2>&1
[ $? = 2 ] || fail "no arguments: exit status is not 2"
"$CODEGEN" tests/codegen/alltypes > /dev/null 2>&1
[ $? = 2 ] || fail "missing -o: exit status is not 2"

# The ring buffer shim (<emf/shim.bpf.h>): a program without a ring buffer (fsopen, perf
# only) compiles to the same BTF and instructions with and without it; one calling the
# plain bpf_ringbuf_*() helpers (bootstrap) gets exactly the shim's maps linked in.
for d in fsopen bootstrap; do
	for v in shim noshim; do
		def=()
		[ $v = noshim ] && def=(-D EMF_NO_RINGBUF_SHIM)
		(cd "$top_srcdir" && "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include "${def[@]}" \
			tests/codegen/realworld/$d -o "$TMPD/$v.$d") || fail "$d ($v): emf-codegen failed"
		bpftool btf dump file "$TMPD/$v.$d/$d.bpf.o" > "$TMPD/$v.$d.btf" ||
			fail "$d ($v): no BTF"
		if command -v llvm-objdump > /dev/null; then
			llvm-objdump -d "$TMPD/$v.$d/$d.bpf.o" | tail -n +3 > "$TMPD/$v.$d.dis"
		else
			: > "$TMPD/$v.$d.dis"
		fi
	done
done
cmp -s "$TMPD/shim.fsopen.btf" "$TMPD/noshim.fsopen.btf" ||
	fail "fsopen: the shim changed the BTF of a program without a ring buffer"
cmp -s "$TMPD/shim.fsopen.dis" "$TMPD/noshim.fsopen.dis" ||
	fail "fsopen: the shim changed the instructions of a program without a ring buffer"
for m in emf_lost emf_rb_wakeup; do
	grep -q "VAR '$m' .*linkage=global" "$TMPD/shim.bootstrap.btf" ||
		fail "bootstrap: the shim's map $m is not defined in the object"
	grep -q "VAR '$m'" "$TMPD/noshim.bootstrap.btf" &&
		fail "bootstrap: map $m is there without the shim"
done
grep -q "linkage=extern" "$TMPD/shim.bootstrap.btf" && fail "bootstrap: an extern is left unresolved"
echo "ok: the ring buffer shim leaves fsopen as it was and links its maps into bootstrap"

# Maps printed without annotation: what -v says was recognised, and what was left out.
# recognised DIR "MAP:KIND ..." (sorted; KIND hist or counters)
recognised() {
	local dir=$1 want=$2 got n=${1##*/}
	(cd "$top_srcdir" && "$CODEGEN" -v --vmlinux-h "$VMLINUX" -I sdk/include "$dir" -o "$TMPD/rec.$n") \
		> "$TMPD/msg" 2>&1 || { cat "$TMPD/msg"; fail "$dir: emf-codegen failed"; return; }
	got=$(sed -n "s/^emf-codegen: map '\([a-z_0-9]*\)' of .*: shown as a \(log2 histogram\|counter table\).*/\1:\2/p" \
		"$TMPD/msg" | sed 's/:log2 histogram/:hist/; s/:counter table/:counters/' | sort | tr '\n' ' ')
	[ "$got" = "$want " ] || { fail "$dir: recognised '$got', want '$want'"; return; }
	echo "ok: $dir: recognised $want"
}
recognised tests/codegen/realworld/sleeplat "calls:counters hists:hist"
recognised tests/codegen/mapshapes "by_disk:hist by_kind:counters by_pid:counters"
recognised tests/codegen/mapsub "hist:hist"
# The annotated map keeps its interval; the recognised ones have none.
grep -A2 '"marked"' "$TMPD/rec.mapshapes/mapshapes.emf.c" | grep -q '\.interval_ms = 500,' &&
	[ "$(grep -c '\.interval_ms = 0,' "$TMPD/rec.mapshapes/mapshapes.emf.c")" = 3 ] ||
	fail "mapshapes: want marked at 500 ms and three maps with no interval"

# Every plugin directory here generates C that compiles without a warning; the decoders of
# alltypes and anon are run by tests/unit/test_codegen_types too.
CC=${EMF_CC:-cc}
read -ra host_cflags <<< "$("${EMF_PKG_CONFIG:-pkg-config}" --cflags libbpf jansson)"
for d in alltypes anon realworld/bootstrap realworld/fsopen realworld/ringflood; do
	n=${d##*/}
	(cd "$top_srcdir" && "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include tests/codegen/$d \
		-o "$TMPD/cc.$n") > "$TMPD/msg" 2>&1 || { cat "$TMPD/msg"; fail "$d: emf-codegen failed"; continue; }
	"$CC" -Wall -Wextra -Werror "${host_cflags[@]}" -I"$top_srcdir/sdk/include" -I"$TMPD/cc.$n" \
		-c "$TMPD/cc.$n/$n.emf.c" -o "$TMPD/cc.$n/$n.emf.o" > "$TMPD/msg" 2>&1 ||
		{ cat "$TMPD/msg"; fail "$d: the generated $n.emf.c does not compile cleanly"; }
done
echo "ok: every plugin directory of tests/codegen generates C that compiles cleanly"

# Golden output. emf-codegen lays out its code itself, so the bytes are the same on every
# machine: a clang-format first in PATH (one that would leave a mark) is never run.
mkdir -p "$TMPD/fakebin"
printf '#!/bin/sh\ntouch "%s/clang-format-ran"\n' "$TMPD" > "$TMPD/fakebin/clang-format"
chmod +x "$TMPD/fakebin/clang-format"
(cd "$top_srcdir" && PATH="$TMPD/fakebin:$PATH" "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include \
	tests/codegen/alltypes -o "$TMPD/gold") || fail "alltypes: emf-codegen failed"
[ -e "$TMPD/clang-format-ran" ] && fail "emf-codegen ran clang-format"
for f in alltypes.emf.h alltypes.emf.c; do
	if [ "${EMF_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$TMPD/gold/$f" "$top_srcdir/tests/codegen/golden/$f"
	elif ! diff -u "$top_srcdir/tests/codegen/golden/$f" "$TMPD/gold/$f" > "$TMPD/diff"; then
		head -40 "$TMPD/diff"
		fail "$f differs from tests/codegen/golden/$f (EMF_UPDATE_GOLDEN=1 to accept)"
	fi
done
# Kernel style in every generated file here: tabs, no line over 100 columns but a lone
# string literal, no blank line repeated or ending the file.
for f in "$TMPD"/gold/*.emf.[ch] "$TMPD"/cc.*/*.emf.[ch]; do
	long=$(expand -t8 "$f" | grep -n '^.\{101,\}' | grep -v '^[0-9]*: *"' | head -3)
	[ -z "$long" ] || fail "${f##*/}: lines over 100 columns: $long"
	grep -qn '^        ' "$f" && fail "${f##*/}: indented with spaces"
	awk 'prev == "" && $0 == "" && NR > 1 { bad = 1 } { prev = $0 } END { exit !(bad || prev == "") }' \
		"$f" && fail "${f##*/}: a repeated or final blank line"
done
echo "ok: golden output, the same with or without clang-format, in kernel style"

# --describe: the schema tools read, with what --help and the renderers know: each
# option's description, friendly type and long option, each field's semantic type.
if command -v jq > /dev/null; then
	(cd "$top_srcdir" && "$CODEGEN" --vmlinux-h "$VMLINUX" -I sdk/include --describe \
		plugins/opensnoop) > "$TMPD/describe.json" 2> "$TMPD/msg" ||
		{ cat "$TMPD/msg"; fail "--describe plugins/opensnoop failed"; }
	jq -e '(.maps[] | select(.name == "events") | .event) == "event" and
		([.options[] | select(.description == "" or .friendly_type == "")] | length) == 0 and
		(.options[] | select(.name == "target_uid") |
			.long_name == "uid" and .friendly_type == "uid" and (.description | test("user"))) and
		([.events[0].fields[] | {(.name): .semantic}] | add |
			.ts == "ktime" and .uid == "uid" and .ret == "ret" and
			.flags == "open_flags" and .mode == "mode" and .comm == null)' \
		"$TMPD/describe.json" > /dev/null ||
		{ cat "$TMPD/describe.json"; fail "--describe lacks descriptions, CLI names or semantic types"; }
	echo "ok: --describe shows options' descriptions and CLI names, fields' semantic types"
fi

[ $failed = 0 ] && echo "PASS"
exit $failed
