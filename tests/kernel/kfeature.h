/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Feature probes of the kernel tests: whether the running kernel loads and
 * attaches a program of a kind (kprobe, fentry, BPF LSM), found by trying a
 * two-instruction program of that kind on a real target, never by the kernel
 * version. Tests that need a kind SKIP with the reason when its probe fails;
 * tests that expect a refusal check for one only when the probe fails too.
 */
#ifndef __EMF_KFEATURE_H
#define __EMF_KFEATURE_H

#include <stddef.h>

/*
 * Probe kind @kind ("kprobe", "fentry" or "lsm") on @target: a kernel function
 * for kprobe and fentry (e.g. "hrtimer_nanosleep"), an LSM hook for lsm (e.g.
 * "file_open"). Returns 0 when a program of that kind loads and attaches
 * there (and is gone again), -EOPNOTSUPP or the kernel's negative errno
 * otherwise, with what failed in plain words in @why (@len bytes).
 */
int kfeature_probe(const char *kind, const char *target, char *why, size_t len);

#endif /* __EMF_KFEATURE_H */
