/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * xdpdispatch sends no events of its own: its handlers do. What it shares
 * with them is in parsed.h.
 */
#ifndef __XDPDISPATCH_H
#define __XDPDISPATCH_H

#include "parsed.h"

#endif /* __XDPDISPATCH_H */
