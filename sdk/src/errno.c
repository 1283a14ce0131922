// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include <emf/errno.h>

static const char *const emf_errstr[EMF_ERRNO__END - EMF_ERRNO__START] = {
	[EMF_ERRNO__ABI - EMF_ERRNO__START] = "plugin built for another emf ABI version",
	[EMF_ERRNO__NOTPLUGIN - EMF_ERRNO__START] = "not an emf plugin",
	[EMF_ERRNO__DUP - EMF_ERRNO__START] = "a plugin of that name is already registered",
	[EMF_ERRNO__VERIFY - EMF_ERRNO__START] = "program rejected by the kernel verifier",
	[EMF_ERRNO__NOFEAT - EMF_ERRNO__START] = "feature not supported by this kernel",
	[EMF_ERRNO__TRUNC - EMF_ERRNO__START] = "event shorter than its fixed part",
	[EMF_ERRNO__STATE - EMF_ERRNO__START] = "operation not valid in the current state",
	[EMF_ERRNO__HOOK - EMF_ERRNO__START] = "plugin hook failed",
	[EMF_ERRNO__UNSAFE - EMF_ERRNO__START] = "unsafe file permissions",
	[EMF_ERRNO__INCOMPAT - EMF_ERRNO__START] = "incompatible program or map",
	[EMF_ERRNO__IDLE - EMF_ERRNO__START] = "program loaded but attached nowhere",
};

/*
 * Codes the kernel uses internally (include/linux/errno.h) and lets out
 * through bpf(2) and perf_event_open(2): glibc has no words for them.
 */
static const char *const kernel_errstr[] = {
	[512 - 512] = "restart system call (ERESTARTSYS)",
	[515 - 512] = "no such ioctl (ENOIOCTLCMD)",
	[517 - 512] = "driver not ready, probe deferred (EPROBE_DEFER)",
	[521 - 512] = "illegal NFS file handle (EBADHANDLE)",
	[523 - 512] = "cookie is stale (EBADCOOKIE)",
	[524 - 512] = "not supported by this kernel (ENOTSUPP)",
	[525 - 512] = "buffer or request is too small (ETOOSMALL)",
	[526 - 512] = "server fault (ESERVERFAULT)",
	[527 - 512] = "type not supported by this kernel (EBADTYPE)",
	[529 - 512] = "request queued (EIOCBQUEUED)",
};

#define EMF_UNKNOWN_BUFS 8
#define EMF_UNKNOWN_LEN 32

const char *emf_strerror(int err)
{
	static __thread char unknown[EMF_UNKNOWN_BUFS][EMF_UNKNOWN_LEN];
	static __thread unsigned int next;
	const char *s;

	if (err < 0)
		err = -err;
	if (err >= EMF_ERRNO__START && err < EMF_ERRNO__END)
		return emf_errstr[err - EMF_ERRNO__START];
	if (err >= 512 && err < 512 + (int)(sizeof(kernel_errstr) / sizeof(kernel_errstr[0])) &&
	    kernel_errstr[err - 512])
		return kernel_errstr[err - 512];
	/*
	 * The system's text for a code it knows is static; for one it does not,
	 * strerror() builds "Unknown error N" in a buffer its next call frees, so
	 * two calls in one printf would read freed memory.
	 */
	s = strerrordesc_np(err);
	if (s)
		return s;
	s = unknown[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % EMF_UNKNOWN_BUFS];
	snprintf((char *)s, EMF_UNKNOWN_LEN, "Unknown error %d", err);
	return s;
}
