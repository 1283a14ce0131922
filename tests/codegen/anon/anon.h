/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Anonymous members, several in one struct and nested, as real tools' headers have them. */
#ifndef __ANON_H
#define __ANON_H

struct event {
	unsigned int pid;
	union {
		unsigned int uid;
		int err;
	};
	struct {
		unsigned short sport;
		unsigned short dport;
	};
	union {
		unsigned char v4[4];
		unsigned int addr;
	};
	struct {
		unsigned char proto;
		union {
			unsigned char flags;
			_Bool on;
		};
	} tag;
	_Bool ok;
};

#endif /* __ANON_H */
