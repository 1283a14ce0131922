// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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

const char *emf_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= EMF_ERRNO__START && err < EMF_ERRNO__END)
		return emf_errstr[err - EMF_ERRNO__START];
	/* glibc's strerror returns static strings for every known code. */
	return strerror(err);
}
