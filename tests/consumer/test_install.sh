#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A downstream consumer, for real: take this tree's distributed sources, drop a
# plugin written by emf-new under plugins/ (the in-tree route), configure with
# a temporary --prefix, build and "make install". Then, with nothing but
# pkg-config (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig) and the installed emf-new:
# check what pkg-config --static gives, scaffold a plugin and an agent out of
# tree, build them, run the agent and see the plugin's event; then run the
# installed emf-agent with the dropped-in plugin and the scaffolded one's .so
# (a dynamic plugin) and see both events.
. "$(dirname "$0")/../kernel/lib.sh"

NEW="$top_builddir/templates/emf-new"
CC=${EMF_CC:-cc}
PKG_CONFIG=${EMF_PKG_CONFIG:-pkg-config}
# Plain makes, not the jobserver of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${EMF_MAKE:-make}
SRC="$TMPD/src"
PREFIX="$TMPD/prefix"
WORK="$TMPD/work"
mkdir -p "$WORK"

step() {
	echo "== $*"
}

# run LOG CMD...: run quietly, show the log when it fails.
run() {
	local log=$1 rc
	shift
	"$@" > "$TMPD/$log.log" 2>&1
	rc=$?
	[ "$rc" = 0 ] || { tail -40 "$TMPD/$log.log"; fail "$* failed (exit $rc)"; }
}

step "sources: make distdir, plus plugins/dropin from emf-new"
run distdir "$MAKE" -C "$top_builddir" distdir distdir="$SRC"
# The xdp template has a C side (dropin.hooks.c): the in-tree build links it too.
EMF_TEMPLATES="$top_srcdir/templates" "$NEW" plugin dropin --hook xdp --dir "$SRC/plugins" > /dev/null ||
	fail "emf-new plugin dropin --dir $SRC/plugins failed"

step "configure --prefix=$PREFIX, make, make install"
mkdir "$TMPD/build"
cd "$TMPD/build" || fail "cd $TMPD/build"
vmlinux=()
[ -r "$top_builddir/vmlinux.h" ] && vmlinux=(--with-vmlinux-h="$top_builddir/vmlinux.h")
run configure "$SRC/configure" --prefix="$PREFIX" --disable-dependency-tracking "${vmlinux[@]}" CC="$CC"
run make "$MAKE" -j2
run install "$MAKE" install
cd "$TMPD" || fail "cd $TMPD"

step "installed files"
for f in bin/emf-codegen bin/emf-new bin/emf-agent; do
	[ -x "$PREFIX/$f" ] || fail "$f is not installed (or not executable)"
done
# The default plugin directory emf-agent runs *.so from, ready for a plugin to go in.
[ -d "$PREFIX/lib/emf/plugins" ] || fail "make install did not create lib/emf/plugins"
for f in lib/libemfsdk.a lib/pkgconfig/libemfsdk.pc include/emf/emf.bpf.h include/emf/runtime.h \
	share/emf/templates/plugin/Makefile.tmpl share/emf/templates/agent/agent.c.tmpl \
	share/man/man1/emf-agent.1 share/man/man1/emf-codegen.1 share/man/man1/emf-new.1 \
	share/man/man3/libemfsdk.3; do
	[ -f "$PREFIX/$f" ] || fail "$f is not installed"
done
[ -e "$PREFIX/lib/pkgconfig/libemfsdk-uninstalled.pc" ] && fail "libemfsdk-uninstalled.pc was installed"

step "pkg-config --static from the prefix"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
export PATH="$PREFIX/bin:$PATH"
cflags=$("$PKG_CONFIG" --cflags libemfsdk) || fail "pkg-config does not find libemfsdk in $PKG_CONFIG_PATH"
[ "$(echo $cflags)" = "-I$PREFIX/include" ] || fail "pkg-config --cflags libemfsdk: '$cflags', want '-I$PREFIX/include'"
libs=$("$PKG_CONFIG" --libs --static libemfsdk) || fail "pkg-config --libs --static libemfsdk failed"
want="-L$PREFIX/lib -lemfsdk -lbpf -lelf -lz -ljansson -lpthread"
# The /metrics server's library, when configure found it (its dependencies stay out).
"$PKG_CONFIG" --exists 'libmicrohttpd >= 0.9.71' && want="$want -lmicrohttpd"
for w in $want; do
	[[ " $libs " == *" $w "* ]] || fail "pkg-config --libs --static libemfsdk lacks $w: $libs"
done
for l in $libs; do
	[[ " $want " == *" $l "* ]] || fail "pkg-config --libs --static libemfsdk gives $l, which a build does not need: $libs"
done
[ "$("$PKG_CONFIG" --variable=emf_codegen libemfsdk)" = "$PREFIX/bin/emf-codegen" ] ||
	fail "emf_codegen variable: $("$PKG_CONFIG" --variable=emf_codegen libemfsdk)"
echo "cflags: $cflags"
echo "libs:   $libs"

step "installed headers compile alone with pkg-config's cflags"
for h in "$PREFIX"/include/emf/*.h; do
	h=emf/${h##*/}
	[ "$h" = emf/emf.bpf.h ] && continue
	echo "#include <$h>" > "$TMPD/h.c"
	"$CC" $cflags -c "$TMPD/h.c" -o "$TMPD/h.o" 2> "$TMPD/h.err" ||
		fail "installed <$h> does not compile alone: $(cat "$TMPD/h.err")"
done

step "installed emf-new: the dropped-in plugin is bundled now, a new one builds out of tree"
out=$(emf-new plugin dropin --dir "$WORK" 2>&1) && fail "emf-new accepted the name of bundled plugin dropin"
grep -q "taken by a plugin bundled with emf" <<< "$out" || fail "refusal of dropin: $out"
run new-plugin emf-new plugin hello --dir "$WORK"
run new-agent emf-new agent tiny --dir "$WORK" --plugin "$WORK/hello"
run make-tiny "$MAKE" -C "$WORK/tiny"
grep -q -- "-L$PREFIX/lib -lemfsdk" "$TMPD/make-tiny.log" || fail "tiny was not linked against $PREFIX/lib"
grep -q "$top_builddir\|$top_srcdir" "$TMPD/make-tiny.log" && fail "tiny's build used the build tree: $(cat "$TMPD/make-tiny.log")"
[ -f "$WORK/hello/hello.so" ] || run make-hello "$MAKE" -C "$WORK/hello"
[ -f "$WORK/hello/hello.so" ] || fail "hello/Makefile built no hello.so"

"$PREFIX/bin/emf-agent" --list > "$TMPD/list" 2>&1 || { cat "$TMPD/list"; fail "emf-agent --list failed"; }
grep -q "^[0-9-]* *dropin " "$TMPD/list" || { cat "$TMPD/list"; fail "installed emf-agent --list does not show dropin"; }

need_root
trigger() {
	cp /bin/true "$TMPD/$1"
	"$TMPD/$1"
	sleep 0.5
}

step "run tiny (links hello.o) and see hello's event"
AGENT="$WORK/tiny/tiny"
"$AGENT" --json > "$TMPD/out" 2> "$TMPD/err" 9>&- &
AGENT_PID=$!
for _ in $(seq 1 300); do
	grep -q "^tiny: running 1 plugin" "$TMPD/err" && break
	kill -0 "$AGENT_PID" 2> /dev/null || { cat "$TMPD/err"; fail "tiny exited before running"; }
	sleep 0.1
done
grep -q "^tiny: running 1 plugin" "$TMPD/err" || { cat "$TMPD/err"; fail "tiny did not start"; }
record_owned "$AGENT_PID"
trigger "emfcons$$"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "tiny exited with $AGENT_RC"; }
line=$(grep "^{\"plugin\":\"hello\",\"event\":\"event\",.*\"comm\":\"emfcons$$\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; fail "tiny printed no event of hello for emfcons$$"; }
echo "$line"
check_no_leak

step "run the installed emf-agent with dropin (built in) and hello.so (dynamic)"
AGENT="$PREFIX/bin/emf-agent"
start_agent --json -p dropin -p hello -p "$WORK/hello/hello.so"
port=$((20000 + $$ % 20000))
echo hello > /dev/udp/127.0.0.1/$port
trigger "emfdrop$$"
stop_agent
[ "$AGENT_RC" = 0 ] || { cat "$TMPD/err"; fail "emf-agent exited with $AGENT_RC"; }
grep -q "never run" "$TMPD/err" && { cat "$TMPD/err"; fail "dropin's XDP program, declared on option ifname, was reported idle"; }
line=$(grep "^{\"plugin\":\"dropin\",\"event\":\"event\",.*\"dport\":$port," "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; cat "$TMPD/err"; fail "emf-agent printed no event of dropin for UDP port $port"; }
echo "$line"
line=$(grep "^{\"plugin\":\"hello\",\"event\":\"event\",.*\"comm\":\"emfdrop$$\"" "$TMPD/out")
[ -n "$line" ] || { head -5 "$TMPD/out"; cat "$TMPD/err"; fail "emf-agent printed no event of hello for emfdrop$$"; }
echo "$line"
check_no_leak

echo "PASS: installed to a prefix; pkg-config --static, emf-new plugin and agent, dynamic plugin, in-tree plugin drop-in all work"
