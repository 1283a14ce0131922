/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netcount sends no events: what it reports is its sampled map, whose key and
 * value are in maps.h.
 */
#ifndef __NETCOUNT_H
#define __NETCOUNT_H

#include "maps.h"

#endif /* __NETCOUNT_H */
