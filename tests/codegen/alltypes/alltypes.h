/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Every kind of field an event header can hold, for emf-codegen's tests. */
#ifndef __ALLTYPES_H
#define __ALLTYPES_H

#include <emf/types.h>

enum color {
	RED = 0,
	GREEN = 1,
	BLUE = 7,
	CRIMSON = 0, /* an alias: RED is printed */
};

typedef int my_pid_t;
typedef unsigned long long my_u64;

struct inner {
	short s;
	unsigned char b;
};

union num {
	int i;
	unsigned int u;
};

struct event {
	signed char i8;
	unsigned char u8;
	short i16;
	unsigned short u16;
	int i32;
	unsigned int u32;
	long long i64;
	unsigned long long u64;
	__int128 i128;
	unsigned __int128 u128;
	_Bool flag;
	char c;
	enum color color;
	my_pid_t pid;
	my_u64 ts;
	char name[8];
	unsigned short arr[3];
	int matrix[2][2];
	struct inner in;
	struct inner ins[2];
	union num num;
	struct {
		int x;
		int y;
	} point;
	void *ptr;
	unsigned int bf1 : 3, bf2 : 5;
	int bf3 : 4;
	float f;
	double d;
	char tail[5];
};

/* A second event with a packed layout, sent through its own map. */
struct packed_event {
	char tag;
	unsigned long long value;
	unsigned short port;
} __attribute__((packed));

/* The semantic types of <emf/types.h>, through a third map. */
struct sem_event {
	emf_boottime_t when;
	emf_errno_t err;
	emf_ret_t ret;
	emf_signal_t sig;
	emf_uid_t uid;
	emf_gid_t gid;
	emf_syscall_t nr;
	emf_open_flags_t flags;
	emf_mode_t mode;
	emf_ipv4_t v4;
	struct emf_endpoint local;
	struct emf_endpoint peer;
	char args[24] EMF_ARGV;
};

/* Stacks carried in the event, through a fourth map. */
struct stack_event {
	unsigned int pid;
	unsigned long long kstack[4] EMF_KSTACK;
	unsigned long long ustack[4] EMF_USTACK(pid);
};

#endif /* __ALLTYPES_H */
