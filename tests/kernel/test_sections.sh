#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sections and libbpf's version: a program whose section no libbpf knows makes its
# plugin fail with one message that names the section, the program and libbpf's
# version, exit 1, and nothing left in the kernel. (A section only a newer libbpf
# knows, sk_skb/verdict, loads: test_attach.)
. "${top_srcdir:-.}/tests/kernel/lib.sh"
need_root
so="$top_builddir/tests/plugins/badsec/badsec.emf.so"
[ -f "$so" ] || fail "test plugin not built: $so"
"$AGENT" --plugin "$so" -p badsec -d 1 > "$TMPD/out" 2> "$TMPD/err" 9>&-
rc=$?
[ "$rc" = 1 ] || { cat "$TMPD/err"; fail "badsec: exit $rc, expected 1"; }
want="plugin 'badsec' failed to load: libbpf v\?[0-9.]* does not know section 'emf_nosuch/thing' of program unknown(), so it cannot tell what kind of program it is"
[ "$(grep -c "$want" "$TMPD/err")" = 1 ] || { cat "$TMPD/err"; fail "no single message naming the unknown section"; }
grep -q "^libbpf:" "$TMPD/err" && { cat "$TMPD/err"; fail "libbpf's own lines shown without -v"; }
[ -s "$TMPD/out" ] && fail "events or headers printed by a plugin that failed"
check_no_leak
echo "PASS: an unknown section is named once, with the program and libbpf's version; nothing left"
