/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * syscount sends no events: what it reports are its sampled maps, whose keys
 * and values are in maps.h.
 */
#ifndef __SYSCOUNT_H
#define __SYSCOUNT_H

#include "maps.h"

#endif /* __SYSCOUNT_H */
