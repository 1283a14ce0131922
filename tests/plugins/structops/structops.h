/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __STRUCTOPS_H
#define __STRUCTOPS_H

enum cc_what {
	CC_INIT = 1,
	CC_RELEASE = 2,
};

/* A TCP connection that took the emf_cc congestion control, or gave it up. */
struct cc_event {
	enum cc_what what;
	unsigned int lport;
	unsigned int dport;
	unsigned int cwnd;
};

#endif /* __STRUCTOPS_H */
