/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An event of tests/codegen/alltypes with every field set, for the tests that render it. */
#ifndef __ALLTYPES_FILL_H
#define __ALLTYPES_FILL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alltypes.emf.h"

static inline void alltypes_fill(struct alltypes__event *e)
{
	memset(e, 0, sizeof(*e));
	e->i8 = -128;
	e->u8 = 255;
	e->i16 = -32768;
	e->u16 = 65535;
	e->i32 = INT32_MIN;
	e->u32 = UINT32_MAX;
	e->i64 = INT64_MIN;
	e->u64 = UINT64_MAX;
	e->i128 = -((__int128)1 << 100);
	e->u128 = ~(unsigned __int128)0;
	e->flag = true;
	e->c = 'A';
	e->color = 7;
	e->pid = 42;
	e->ts = 123456789;
	memcpy(e->name, "12345678", 8);
	e->arr[0] = 1;
	e->arr[1] = 2;
	e->arr[2] = 3;
	e->matrix[0][0] = 1;
	e->matrix[0][1] = 2;
	e->matrix[1][0] = 3;
	e->matrix[1][1] = -4;
	e->in.s = -5;
	e->in.b = 6;
	e->ins[1].s = 7;
	e->num.i = -1;
	e->point.x = 10;
	e->point.y = 20;
	e->ptr = 0xffff888012345678ULL;
	e->bf1 = 5;
	e->bf2 = 31;
	e->bf3 = -3;
	e->f = 1.5f;
	e->d = -0.25;
	memcpy(e->tail, "tail", 5);
}

/* The semantic types' event, every field set to a value with a name. */
static inline void alltypes_sem_fill(struct alltypes__sem_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->when = 123456789012ULL;
	ev->err = -2;
	ev->ret = -13;
	ev->sig = 15;
	ev->nr = 257;
	ev->flags = 02000000 | 0100 | 01;
	ev->mode = 0644;
	ev->v4 = htonl(0x0a000001);
	ev->local = (struct alltypes__emf_endpoint){ .addr = { 10, 0, 0, 1 }, .port = 80 };
	ev->peer = (struct alltypes__emf_endpoint){ .addr = { [15] = 1 }, .port = 65535 };
	memcpy(ev->args, "ls\0-l\0/tmp\0", 12);
}

#endif /* __ALLTYPES_FILL_H */
