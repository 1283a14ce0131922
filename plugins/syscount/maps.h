/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keys and values of syscount's sampled maps. emf-codegen reads their layout
 * from the object's BTF, so emf prints the maps' readings field by field.
 */
#ifndef __SYSCOUNT_MAPS_H
#define __SYSCOUNT_MAPS_H

#define SYSCOUNT_COMM_LEN 16

/*
 * The syscalls a typical workload makes, by their x86_64 numbers
 * (arch/x86/entry/syscalls/syscall_64.tbl): emf prints these by name and any
 * other by its number (ausyscall NUMBER names it). Not a full table on
 * purpose: the others are rare, and each name here costs the generated
 * decoder a case.
 */
enum syscount_nr {
	read = 0,
	write = 1,
	open = 2,
	close = 3,
	stat = 4,
	fstat = 5,
	poll = 7,
	lseek = 8,
	mmap = 9,
	mprotect = 10,
	munmap = 11,
	brk = 12,
	rt_sigaction = 13,
	rt_sigprocmask = 14,
	rt_sigreturn = 15,
	ioctl = 16,
	pread64 = 17,
	pwrite64 = 18,
	readv = 19,
	writev = 20,
	access = 21,
	pipe = 22,
	select = 23,
	sched_yield = 24,
	mremap = 25,
	madvise = 28,
	dup = 32,
	dup2 = 33,
	nanosleep = 35,
	getpid = 39,
	socket = 41,
	connect = 42,
	accept = 43,
	sendto = 44,
	recvfrom = 45,
	sendmsg = 46,
	recvmsg = 47,
	bind = 49,
	listen = 50,
	setsockopt = 54,
	getsockopt = 55,
	clone = 56,
	fork = 57,
	vfork = 58,
	execve = 59,
	exit = 60,
	wait4 = 61,
	kill = 62,
	uname = 63,
	fcntl = 72,
	getcwd = 79,
	rename = 82,
	mkdir = 83,
	rmdir = 84,
	unlink = 87,
	readlink = 89,
	chmod = 90,
	umask = 95,
	getrlimit = 97,
	getrusage = 98,
	sysinfo = 99,
	getuid = 102,
	getgid = 104,
	geteuid = 107,
	getegid = 108,
	getppid = 110,
	getpgrp = 111,
	getpgid = 121,
	sigaltstack = 131,
	statfs = 137,
	prctl = 157,
	arch_prctl = 158,
	tkill = 200,
	futex = 202,
	sched_getaffinity = 204,
	getdents64 = 217,
	set_tid_address = 218,
	fadvise64 = 221,
	clock_gettime = 228,
	clock_nanosleep = 230,
	exit_group = 231,
	epoll_wait = 232,
	epoll_ctl = 233,
	tgkill = 234,
	openat = 257,
	newfstatat = 262,
	unlinkat = 263,
	readlinkat = 267,
	pselect6 = 270,
	ppoll = 271,
	set_robust_list = 273,
	epoll_pwait = 281,
	accept4 = 288,
	eventfd2 = 290,
	epoll_create1 = 291,
	pipe2 = 293,
	prlimit64 = 302,
	getrandom = 318,
	bpf = 321,
	copy_file_range = 326,
	statx = 332,
	rseq = 334,
	clone3 = 435,
	close_range = 436,
	faccessat2 = 439,
};

/* Key of map syscalls. */
struct syscall_key {
	enum syscount_nr syscall;
};

/* Value of maps syscalls and procs: one sampling interval's syscalls that returned. */
struct syscall_stat {
	__u64 count;
	__u64 errors; /* returned -errno */
	__u64 total_ns; /* time spent in them */
};

/* Key of map procs: a process, and the command of its thread that made the calls. */
struct proc_key {
	__u32 pid;
	char comm[SYSCOUNT_COMM_LEN];
};

#endif /* __SYSCOUNT_MAPS_H */
