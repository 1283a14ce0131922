/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __BADSEC_H
#define __BADSEC_H
/* No events: the plugin only has to fail to load. */
#endif /* __BADSEC_H */
