/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The event of the variant test plugin: which variant of the hook sent it. */
#ifndef __VARIANT_H
#define __VARIANT_H

enum variant_kind {
	VARIANT_TP_BTF = 1,
	VARIANT_RAW_TP = 2,
	VARIANT_TP = 3,
};

struct event {
	enum variant_kind kind;
	unsigned int pid;
	unsigned long long arg; /* getpgid()'s argument */
};

#endif /* __VARIANT_H */
