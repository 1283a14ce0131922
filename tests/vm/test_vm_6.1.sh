#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The kernel tests inside Debian bookworm's own kernel (6.1, the cloud flavour) under
# QEMU: see tests/vm/run.sh.
exec "$(dirname "$0")/run.sh" 6.1 "$@"
