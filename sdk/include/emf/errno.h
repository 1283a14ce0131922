/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Error codes of libemfsdk.
 *
 * Every int-returning function returns 0 (or a count) on success and a negative
 * errno on failure, and also sets errno. Pointer-returning functions return NULL
 * and set errno. Codes specific to emf start at EMF_ERRNO__START (4000) so they
 * never collide with the system's; emf_strerror() names both kinds.
 */
#ifndef __EMF_ERRNO_H
#define __EMF_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

enum emf_errno {
	EMF_ERRNO__START = 4000,
	EMF_ERRNO__ABI = EMF_ERRNO__START, /* plugin built for another ABI version */
	EMF_ERRNO__NOTPLUGIN, /* file is not an emf plugin */
	EMF_ERRNO__DUP, /* a plugin of that name is already registered */
	EMF_ERRNO__VERIFY, /* the kernel's verifier rejected a program */
	EMF_ERRNO__NOFEAT, /* this kernel does not offer a feature the plugin needs */
	EMF_ERRNO__TRUNC, /* event buffer shorter than the event's fixed part */
	EMF_ERRNO__STATE, /* operation not valid in the object's current state */
	EMF_ERRNO__HOOK, /* a plugin's user hook failed */
	EMF_ERRNO__UNSAFE, /* file or directory permissions are unsafe */
	EMF_ERRNO__INCOMPAT, /* program or map incompatible with a shared slot or map */
	EMF_ERRNO__IDLE, /* a loaded program got no attachment (struct emf_runtime_opts idle_fails) */
	EMF_ERRNO__END,
};

/*
 * emf_strerror - describe an error code
 * @err: a system errno or an EMF_ERRNO__* code, either sign
 *
 * Returns a never-NULL string. It is static and lives as long as the program,
 * except for a code neither emf nor the system knows: then it is "Unknown
 * error N", kept in a buffer of the calling thread that the eighth next such
 * call reuses.
 */
const char *emf_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_ERRNO_H */
