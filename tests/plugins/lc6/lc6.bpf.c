// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Lifecycle benchmark plugin 6 of 8 (see ../lcbody/lcbody.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <emf/emf.bpf.h>
#include "lc6.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "../lcbody/lcbody.h"
