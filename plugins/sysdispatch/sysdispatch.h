/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sysdispatch sends no events of its own: its handlers do. What it shares
 * with them is in inflight.h.
 */
#ifndef __SYSDISPATCH_H
#define __SYSDISPATCH_H

#include "inflight.h"

#endif /* __SYSDISPATCH_H */
