/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
struct start_event {
	int pid;
};

struct stop_event {
	int pid;
	int code;
};
