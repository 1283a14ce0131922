#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# /init of the test guest (tests/vm/run.sh builds it into the initramfs): mounts what
# the kernel tests use, runs each test named in /emf-vm/tests as root and prints, on
# the first serial port, "EMF-VM: START name" before each test and one
# "EMF-VM: RESULT name rc seconds" line after its log (every log line prefixed
# "EMF-VM-LOG: "), then powers the guest off. The kernel's own console is the second
# port, so that its messages, whole, never break these lines apart.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox
export HOME=/root TERM=dumb LANG=C.UTF-8

mkdir -p /proc /sys /dev /tmp /run /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec > /dev/ttyS0 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# The initramfs is writable already; a tmpfs over /tmp would hide a tree built there.
chmod 1777 /tmp
mount -t tmpfs tmpfs /run
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ln -sf /run /var/run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2> /dev/null
ip link set lo up
busybox hostname emf-vm
for m in /emf-vm/modules/*.ko; do
	[ -e "$m" ] && { busybox insmod "$m" || echo "EMF-VM: failed to insert module $m"; }
done
ulimit -l unlimited

. /emf-vm/env
cd "$top_builddir" || echo "EMF-VM: no build tree at $top_builddir"
echo
echo "EMF-VM: KERNEL $(uname -r)"
echo "EMF-VM: LSM $(cat /sys/kernel/security/lsm 2> /dev/null ||
	{ mount -t securityfs securityfs /sys/kernel/security && cat /sys/kernel/security/lsm; })"
while read -r t; do
	[ -n "$t" ] || continue
	name=${t##*/}
	name=${name%.sh}
	start=$(date +%s)
	echo "EMF-VM: START $name"
	echo "emf-vm: start $name" > /dev/kmsg
	case "$t" in
	*.sh) timeout -k 10 "$EMF_VM_TEST_TIMEOUT" bash "$top_srcdir/$t" > /tmp/test.log 2>&1 < /dev/null ;;
	*) timeout -k 10 "$EMF_VM_TEST_TIMEOUT" "./$t" > /tmp/test.log 2>&1 < /dev/null ;;
	esac
	rc=$?
	echo "emf-vm: end $name" > /dev/kmsg
	sed 's/^/EMF-VM-LOG: /' /tmp/test.log
	echo "EMF-VM: RESULT $name $rc $(($(date +%s) - start))"
done < /emf-vm/tests
echo "EMF-VM: DONE"
sync
busybox poweroff -f
