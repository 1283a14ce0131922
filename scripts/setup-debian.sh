#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Set up a Debian bookworm machine from a clean clone: install the build and test
# dependencies (as root), then autoreconf, configure and make. Extra arguments go
# to configure, e.g. scripts/setup-debian.sh --enable-werror. QEMU, busybox and cpio are
# for the kernel matrix of make check (tests/vm), which fetches Debian's kernels itself.
# D-Bus, bpftrace and libbpf-tools are what make bench compares against.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
	autoconf automake libtool pkg-config make gcc g++
	clang llvm bpftool clang-format
	libbpf-dev libelf-dev libdw-dev zlib1g-dev libjansson-dev libcunit1-dev
	iproute2 procps util-linux bsdutils binutils socat iputils-ping jq systemtap-sdt-dev python3
	qemu-system-x86 busybox-static cpio
	libmicrohttpd-dev prometheus curl
	libdbus-1-dev dbus-daemon bpftrace libbpf-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup-debian: missing packages: ${missing[*]}; run this script as root to install them" >&2
		exit 1
	fi
	echo "setup-debian: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Packages with a service (prometheus) must not start it: tests run their own.
	policy=/usr/sbin/policy-rc.d
	[ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" &&
		trap 'rm -f "$policy"' EXIT; }
	apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure "$@"
make -j"$(nproc)"
