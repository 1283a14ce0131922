#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A bounded libFuzzer run (ASan) on the control socket's frame parser: no crash, no
# leak. Needs clang with libFuzzer; skipped, saying so, without it.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
CLANG=${CLANG:-clang}
T=$(mktemp -d /tmp/emf-fuzz.XXXXXX)
trap 'rm -rf "$T"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' > "$T/probe.c"
"$CLANG" -fsanitize=fuzzer,address -o "$T/probe" "$T/probe.c" > /dev/null 2>&1 ||
	{ echo "SKIP: $CLANG cannot build libFuzzer targets (-fsanitize=fuzzer,address)"; exit 77; }
"$CLANG" -g -O1 -fsanitize=fuzzer,address -I"$top_srcdir/sdk/include" -I"$top_srcdir/sdk/src" \
	-o "$T/fuzz" "$top_srcdir/tests/fuzz/fuzz_ctl_frame.c" "$top_srcdir/sdk/src/ctl_proto.c" \
	"$top_srcdir/sdk/src/fmt.c" $(pkg-config --cflags --libs jansson) ||
	{ echo "FAIL: cannot build the fuzz target"; exit 1; }
# Seeds: a request, a reply, two frames in one buffer, a cut one, an oversized length.
mkdir "$T/corpus"
python3 - "$T/corpus" <<'EOP' 2> /dev/null || printf '\0\0\0\2{}' > "$T/corpus/min"
import struct, sys
def f(b): return struct.pack(">I", len(b)) + b
d = sys.argv[1]
seeds = [f(b'{"id":1,"op":"call","method":"emf.stats.get"}'),
         f(b'{"type":"reply","id":1,"result":[1,2,{"a":null}]}') * 2,
         f(b'{"id":2,"op":"subscribe","patterns":["*"]}')[:12],
         struct.pack(">I", (1 << 20) + 1), f(b'{"a":"\\u0000"}'), f(b'[1]')]
for i, s in enumerate(seeds):
    open(f"{d}/seed{i}", "wb").write(s)
EOP
"$T/fuzz" -runs="${EMF_FUZZ_RUNS:-200000}" -max_len=4096 "$T/corpus" > "$T/log" 2>&1
rc=$?
tail -3 "$T/log"
[ $rc = 0 ] || { cat "$T/log" | tail -40; echo "FAIL: the frame parser crashed or leaked"; exit 1; }
echo "PASS: $(grep -o 'Done [0-9]* runs' "$T/log") on the frame parser, no crash, no leak"
