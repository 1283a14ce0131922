#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The kernel matrix: boot Debian's own kernel of series $1 (e.g. 6.1, the
# linux-image-SERIES.0-*-cloud-amd64-unsigned package) under QEMU and run the kernel
# tests inside it, from an initramfs that holds this build tree, the source tree and
# every program the tests call with their shared libraries (and, for the emf-new
# templates' test, the plugins it builds here: the guest has no tool chain). One line
# per test,
#   vm-SERIES: PASS|SKIP|FAIL name (seconds)
# and the logs of the failed ones with what the guest kernel said while they ran (its
# console is a file of its own, kernel.log). Exit 0 when every test passed or skipped, 1 when
# one failed or the guest did not finish, 77 when QEMU or the kernel cannot be had.
#
# Usage: tests/vm/run.sh SERIES [TEST...]   (from the build tree; TESTs default to
# $EMF_VM_TESTS, which make check sets to every kernel test)
# Environment:
#   EMF_VM_CACHE         where the kernel package and its vmlinuz are kept between runs
#                        (default /var/cache/emf-vm when writable, else tests/vm/cache)
#   EMF_VM_TIMEOUT       seconds the whole guest may run (default 1800)
#   EMF_VM_TEST_TIMEOUT  seconds one test may run inside the guest (default 300)
#   EMF_VM_SMP, EMF_VM_MEM  guest CPUs and memory (default 2 and 2G)
#   EMF_VM_ACCEL         QEMU's -accel (default tcg,thread=single; see below)
set -uo pipefail

series=${1:?usage: run.sh SERIES [TEST...]}
shift
: "${top_builddir:=$PWD}"
: "${top_srcdir:=$top_builddir}"
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 1
export top_builddir top_srcdir
tag="vm-$series"
tests=("$@")
[ ${#tests[@]} -gt 0 ] || read -r -a tests <<< "${EMF_VM_TESTS:-}"
[ ${#tests[@]} -gt 0 ] || { echo "$tag: no tests named (arguments or EMF_VM_TESTS)" >&2; exit 1; }

skip() {
	echo "SKIP: $tag: $*"
	exit 77
}
die() {
	echo "FAIL: $tag: $*"
	exit 1
}

[ "$(uname -m)" = x86_64 ] || skip "the guest kernels are x86-64 Debian packages; this machine is $(uname -m)"
QEMU=$(command -v qemu-system-x86_64) || skip "needs qemu-system-x86_64 (Debian package qemu-system-x86)"
BUSYBOX=$(command -v busybox) || skip "needs busybox (Debian package busybox-static)"
"$BUSYBOX" true || skip "busybox does not run"
ldd "$BUSYBOX" > /dev/null 2>&1 && skip "$BUSYBOX is dynamically linked; needs busybox-static"
for t in cpio gzip dpkg-deb apt-get apt-cache; do
	command -v $t > /dev/null || skip "needs $t"
done

# --- The kernel: the newest package of the series that apt can get, kept in the cache.
if [ -n "${EMF_VM_CACHE:-}" ]; then
	cache=$EMF_VM_CACHE
elif mkdir -p /var/cache/emf-vm 2> /dev/null && [ -w /var/cache/emf-vm ]; then
	cache=/var/cache/emf-vm
else
	cache=$top_builddir/tests/vm/cache
fi
mkdir -p "$cache" || die "failed to create the kernel cache $cache"
re="^linux-image-$(echo "$series" | sed 's/\./\\./g')\\.0-[0-9]+-cloud-amd64-unsigned\$"

# The names apt knows with an installable version, newest ABI first, as "name version".
candidates() {
	local names
	names=$(apt-cache pkgnames "linux-image-$series.0-" 2> /dev/null | grep -E "$re")
	[ -n "$names" ] || return 0
	# shellcheck disable=SC2086
	apt-cache policy $names 2> /dev/null |
		awk '/^[^ ]/ { sub(":$", ""); p = $1 } /^ *Candidate: [0-9]/ { print p, $2 }' |
		sort -rV
}
pkgs=$(candidates)
if [ -z "$pkgs" ] && [ "$(id -u)" = 0 ]; then
	echo "$tag: apt knows no linux-image-$series.0-*-cloud-amd64-unsigned; apt-get update"
	apt-get update -qq > "$cache/apt-update.log" 2>&1
	pkgs=$(candidates)
fi

kdir=
while read -r pkg ver; do
	[ -n "$pkg" ] || continue
	d="$cache/${pkg}_$ver"
	if [ ! -s "$d/vmlinuz" ]; then
		rm -rf "$d.tmp" && mkdir -p "$d.tmp" || die "failed to create $d.tmp"
		echo "$tag: downloading $pkg $ver"
		if ! (cd "$d.tmp" && apt-get download -q "$pkg=$ver") > "$d.tmp/download.log" 2>&1; then
			echo "$tag: apt-get download $pkg=$ver failed:"
			tail -n 5 "$d.tmp/download.log"
			rm -rf "$d.tmp"
			continue
		fi
		dpkg-deb -x "$d.tmp"/*.deb "$d.tmp/x" || { rm -rf "$d.tmp"; die "failed to unpack $pkg $ver"; }
		cp "$d.tmp"/x/boot/vmlinuz-* "$d.tmp/vmlinuz" && cp "$d.tmp"/x/boot/config-* "$d.tmp/config" ||
			{ rm -rf "$d.tmp"; die "$pkg $ver has no /boot/vmlinuz-*"; }
		# The modules the tests need that this kernel does not build in.
		mkdir -p "$d.tmp/modules"
		# veth pairs; the clsact qdisc and the BPF classifier, for tc without TCX.
		find "$d.tmp/x/lib/modules" \( -name veth.ko -o -name sch_ingress.ko -o -name cls_bpf.ko \) \
			-exec cp {} "$d.tmp/modules/" \;
		rm -rf "$d.tmp/x" "$d.tmp"/*.deb
		rm -rf "$d" && mv "$d.tmp" "$d" || die "failed to fill the cache $d"
	fi
	kdir=$d
	break
done <<< "$pkgs"
if [ -z "$kdir" ]; then
	# Offline: the newest kernel of the series downloaded before.
	kdir=$(ls -d "$cache"/linux-image-"$series".0-*-cloud-amd64-unsigned_* 2> /dev/null |
		grep -v '\.tmp$' | sort -V | tail -n 1)
	[ -n "$kdir" ] && [ -s "$kdir/vmlinuz" ] ||
		skip "apt cannot get linux-image-$series.0-*-cloud-amd64-unsigned and $cache holds none"
fi
echo "$tag: kernel ${kdir##*/} (cached in $cache)"

# --- The initramfs: busybox, this build, the programs the tests call and their libraries.
work=$top_builddir/tests/vm/work-$series
root=$work/root
rm -rf "$work" && mkdir -p "$root" || die "failed to create $root"
for d in usr/bin usr/sbin usr/lib usr/lib64 etc proc sys dev tmp run var root busybox emf-vm/modules; do
	mkdir -p "$root/$d"
done
for d in bin sbin lib lib64; do
	ln -s usr/$d "$root/$d"
done
cp "$BUSYBOX" "$root/busybox/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/busybox/$a"
done
for f in passwd group hosts protocols services nsswitch.conf; do
	[ -f /etc/$f ] && cp /etc/$f "$root/etc/"
done

# Programs from this machine: what the init and the tests' helpers use, and every word
# of the kernel test scripts that names an installed program (compilers excepted).
PROGRAMS="bash dash cat cp mv rm mkdir rmdir ln ls chmod touch head tail wc sort uniq cut tr
	seq sleep date id mktemp timeout env kill readlink realpath dirname basename stat tee
	printf true false test expr nproc od grep sed gawk mawk awk find xargs flock nsenter
	unshare script mount umount ip ping socat jq bpftool nm tc ss ps pgrep pkill sysctl
	diff cmp comm setsid taskset"
words=$(cat "$top_srcdir"/tests/kernel/*.sh | grep -oE '[A-Za-z_][A-Za-z0-9_.+-]*' | sort -u)
add_lib() {
	local l
	for l in $(ldd "$1" 2> /dev/null | grep -oE '/[^ ]+'); do
		[ -e "$root$l" ] || { mkdir -p "$root${l%/*}" && cp -L "$l" "$root$l"; }
	done
}
for w in $PROGRAMS $words; do
	case "$w" in
	cc | gcc* | g++* | c++ | clang* | llvm* | ld | ld.* | as | make | cpp | apt* | dpkg* | systemctl | \
		reboot | poweroff | halt | shutdown | init | qemu*) continue ;;
	esac
	p=$(type -P "$w") || continue
	case "$p" in /usr/bin/* | /usr/sbin/* | /bin/* | /sbin/*) ;; *) continue ;; esac
	rp=$(readlink -f "$p")
	dst=/usr${p#/usr}
	[ -e "$root$dst" ] && continue
	mkdir -p "$root${dst%/*}" "$root${rp%/*}"
	[ -e "$root$rp" ] || cp "$rp" "$root$rp"
	[ "$rp" = "$dst" ] || ln -sf "$rp" "$root$dst"
	add_lib "$rp"
done
ln -sf dash "$root/usr/bin/sh" 2> /dev/null
# Debian's Python for the tests that use it (PATH may name another one), with its
# standard library but not the library's own tests and tool kits.
if grep -qx python3 <<< "$words" && [ -x /usr/bin/python3 ]; then
	py=$(readlink -f /usr/bin/python3)
	pylib=/usr/lib/${py##*/}
	mkdir -p "$root$pylib" && cp "$py" "$root$py" && ln -sf "$py" "$root/usr/bin/python3" &&
		tar -C "$pylib" -cf - --exclude=./test --exclude=./idlelib --exclude=./tkinter \
			--exclude=./ensurepip --exclude=./lib2to3 --exclude=./site-packages \
			--exclude=./dist-packages . | tar -C "$root$pylib" -xf - ||
		die "failed to copy $py and $pylib into the initramfs"
	add_lib "$py"
	for f in $(find "$root$pylib" -name '*.so'); do
		add_lib "${f#$root}"
	done
fi

# The source and build trees, at the paths they have here (the tests use both).
# Tests running beside this one write into the trees meanwhile: a file that changes or goes
# while tar reads it is their scratch, not ours, so tar's status 1 ("some files differ") is fine.
copy_tree() {
	mkdir -p "$root$1"
	local rc=0
	tar -C "$1" -cf "$work/tree.tar" --warning=no-file-changed --warning=no-file-removed \
		--ignore-failed-read --exclude=.git --exclude=autom4te.cache \
		--exclude='./tests/vm/cache' --exclude='./tests/vm/work-*' --exclude='*.log' \
		--exclude='*.trs' --exclude='./emf-*' . 2> "$work/tar.err" || rc=$?
	[ "$rc" -le 1 ] || die "failed to read $1 for the initramfs: $(head -3 "$work/tar.err")"
	tar -C "$root$1" -xf "$work/tree.tar" || die "failed to copy $1 into the initramfs"
	rm -f "$work/tree.tar"
}
copy_tree "$top_srcdir"
[ "$top_builddir" = "$top_srcdir" ] || copy_tree "$top_builddir"
while read -r f; do
	add_lib "$f"
done < <(find "$root$top_builddir" -type f \( -perm -u+x -o -name '*.so' \) -exec sh -c \
	'head -c 4 "$1" | grep -q ELF && echo "${1#$2}"' sh {} "$root" \;)

# The emf-new templates' test needs a tool chain the guest lacks: build its plugins here.
hooks_env=
if printf '%s\n' "${tests[@]}" | grep -c 'test_hooks\.sh$' > /dev/null; then
	EMF_HOOKS_BUILD=$work/hooks bash "$top_srcdir/tests/scaffold/test_hooks.sh" > "$work/hooks.log" 2>&1 ||
		{ cat "$work/hooks.log"; die "failed to build the emf-new templates' plugins for the guest"; }
	mkdir -p "$root$work" && cp -a "$work/hooks" "$root$work/" || die "failed to copy $work/hooks"
	for f in "$root$work"/hooks/*/*; do
		[ -x "$f" ] && [ -f "$f" ] && add_lib "$f"
	done
	hooks_env="export EMF_HOOKS_PREBUILT='$work/hooks'"
fi

cp "$kdir"/modules/*.ko "$root/emf-vm/modules/" 2> /dev/null
cp "$top_srcdir/tests/vm/init.sh" "$root/init" && chmod 755 "$root/init"
printf '%s\n' "${tests[@]}" > "$root/emf-vm/tests"
cat > "$root/emf-vm/env" << EOF
export top_builddir='$top_builddir' top_srcdir='$top_srcdir'
export EMF_VM_TEST_TIMEOUT=${EMF_VM_TEST_TIMEOUT:-300}
# An emulated CPU makes each of the loader race's attempts some 20 times slower.
export EMF_RACE_ATTEMPTS=${EMF_RACE_ATTEMPTS:-100}
$hooks_env
EOF
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.cpio.gz" ||
	die "failed to pack the initramfs"
echo "$tag: initramfs $(du -h "$work/initrd.cpio.gz" | cut -f1), ${#tests[@]} tests"

# --- Boot under TCG (KVM guests of this kernel can die with emulation failures) and run.
# One host thread runs both guest CPUs: with a thread per CPU, a CPU that executes kernel
# text while the other patches it (a tracepoint's static key flipping as a raw tracepoint
# attaches) can spin there for good, a soft lockup of the emulator that real CPUs do not
# have. The results come on the first serial port, the kernel's messages on the second. A
# soft lockup panics the guest, which then stops at once instead of at the timeout.
start=$(date +%s)
timeout -k 10 "${EMF_VM_TIMEOUT:-1800}" "$QEMU" -accel "${EMF_VM_ACCEL:-tcg,thread=single}" -cpu max \
	-m "${EMF_VM_MEM:-2G}" -smp "${EMF_VM_SMP:-2}" -kernel "$kdir/vmlinuz" \
	-initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS1 rdinit=/init panic=-1 softlockup_panic=1" \
	-nographic -no-reboot -nic none -monitor none \
	-serial file:"$work/console.raw" -serial file:"$work/kernel.raw" \
	< /dev/null > "$work/qemu.log" 2>&1
qrc=$?
secs=$(($(date +%s) - start))
tr -d '\r' < "$work/console.raw" > "$work/console.log"
tr -d '\r' < "$work/kernel.raw" > "$work/kernel.log"
rm -f "$work/console.raw" "$work/kernel.raw"

# What the kernel said while test $1 ran (the guest marks each test's start and end).
kernel_said() {
	awk -v n="$1" '{
		i = index($0, "emf-vm: ")
		if (i) {
			w = substr($0, i + 8)
			if (w == "start " n) { on = 1; next }
			if (w == "end " n) on = 0
		}
	} on' "$work/kernel.log"
}
rm -rf "$root"

kernel=$(sed -n 's/.*EMF-VM: KERNEL //p' "$work/console.log")
echo "$tag: guest kernel ${kernel:-?}, LSMs $(sed -n 's/.*EMF-VM: LSM //p' "$work/console.log"), $secs s"
failed=0
declare -A ran
# Each result line closes the log lines above it.
awk -v tag="$tag" -v dir="$work" '
	/^EMF-VM-LOG: / { log_ = log_ substr($0, 13) "\n"; next }
	/^EMF-VM: RESULT / {
		name = $3; rc = $4; s = $5
		verdict = rc == 0 ? "PASS" : rc == 77 ? "SKIP" : "FAIL"
		printf "%s %s %s %s\n", verdict, name, rc, s > (dir "/results")
		printf "%s", log_ > (dir "/" name ".log")
		close(dir "/" name ".log")
		log_ = ""
	}' "$work/console.log"
touch "$work/results"
while read -r verdict name rc s; do
	ran[$name]=1
	why=
	[ "$verdict" = SKIP ] && why=": $(grep -m1 '^SKIP' "$work/$name.log" | sed 's/^SKIP: //')"
	[ "$verdict" = FAIL ] && why=" (exit $rc$([ "$rc" = 124 ] && echo ", timed out"))"
	echo "$tag: $verdict $name (${s} s)$why"
done < "$work/results"
while read -r verdict name rc s; do
	[ "$verdict" = FAIL ] || continue
	failed=1
	echo "==== $tag: log of $name"
	cat "$work/$name.log"
	said=$(kernel_said "$name")
	[ -z "$said" ] || printf '==== %s: kernel messages while %s ran\n%s\n' "$tag" "$name" "$said"
done < "$work/results"
# The test that started and never ended: the guest stopped in it.
stuck=$(awk '/^EMF-VM: START / { n = $3 } /^EMF-VM: RESULT / { n = "" } END { print n }' \
	"$work/console.log")
[ -z "$stuck" ] || ran[$stuck]=1
for t in "${tests[@]}"; do
	name=${t##*/}
	name=${name%.sh}
	[ -n "${ran[$name]:-}" ] && continue
	echo "$tag: FAIL $name (did not run)"
	failed=1
done
if ! grep -q '^EMF-VM: DONE' "$work/console.log"; then
	failed=1
	[ $qrc = 124 ] && echo "$tag: the guest was stopped after ${EMF_VM_TIMEOUT:-1800} s"
	grep -q 'Kernel panic' "$work/kernel.log" &&
		echo "$tag: the guest kernel panicked: $(grep -m1 'Kernel panic' "$work/kernel.log" | sed 's/^\[[^]]*\] //')"
	echo "==== $tag: the guest did not finish (qemu exit $qrc); console tail:"
	grep -v '^EMF-VM-LOG: ' "$work/console.log" | tail -n 20
	cat "$work/qemu.log"
fi
# A kernel that warned has something to say even when every test passed.
warned=$(grep -cE '\] (WARNING|BUG):' "$work/kernel.log")
if [ "$warned" -gt 0 ]; then
	echo "$tag: the guest kernel warned $warned times; the first:"
	grep -m 3 -E '\] (WARNING|BUG):' "$work/kernel.log"
fi
# Last, as a log's tail is what gets read: where the guest stopped and why.
if [ -n "$stuck" ]; then
	echo "$tag: FAIL $stuck (the guest stopped while it ran)"
	echo "==== $tag: kernel messages while $stuck ran, from the first report of trouble"
	kernel_said "$stuck" | awk '/(BUG|WARNING|Oops|Kernel panic|INFO: rcu|INFO: task)/ { on = 1 }
		on && n++ < 70' | grep . || kernel_said "$stuck" | tail -n 40
fi
echo "$tag: results in $work/console.log, kernel messages in $work/kernel.log"
exit $failed
