/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* minimal sends no events: its header declares none. */
#ifndef __MINIMAL_H
#define __MINIMAL_H
#endif /* __MINIMAL_H */
