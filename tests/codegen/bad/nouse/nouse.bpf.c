// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Bad input: never includes its header, so struct nouse_event is unknown to the object. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";
