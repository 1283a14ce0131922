/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __USDTSNOOP_H
#define __USDTSNOOP_H

struct call {
	int pid;
	int kind; /* 0 uprobe, 1 USDT */
	long arg; /* first argument */
	char comm[16];
};

#endif /* __USDTSNOOP_H */
