/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Files the runtime runs code from: opened once, checked on the fd, copied. */
#ifndef __EMF_TRUSTED_INTERNAL_H
#define __EMF_TRUSTED_INTERNAL_H

#ifndef EMF_HIDDEN
#define EMF_HIDDEN __attribute__((visibility("hidden")))
#endif

/*
 * emf__trusted_open - open a file that only root or the running user can have put there
 * @path: the file, absolute or relative to the working directory
 *
 * Resolves @path one component at a time from /, never letting the kernel
 * follow a symlink: each directory crossed (including those a symlink leads
 * through), each symlink and the file itself must be owned by root or the
 * effective uid, and no directory or file may be writable by group or others
 * (a root-owned sticky directory such as /tmp is accepted). The checks are
 * made on the objects opened, so a rename() during the walk cannot swap
 * what is returned.
 *
 * Returns an O_RDONLY | O_CLOEXEC fd of the regular file (the caller closes
 * it), or a negative errno after one message naming @path and what is wrong:
 * -EMF_ERRNO__UNSAFE for an owner or mode, -EMF_ERRNO__NOTPLUGIN for
 * something that is not a regular file, -ELOOP, -ENOENT and the like.
 */
EMF_HIDDEN int emf__trusted_open(const char *path);

/*
 * emf__trusted_copy - a sealed, private copy of an open file
 * @fd: the file, as emf__trusted_open() returned it
 * @path: its name, for messages and the memfd's name
 *
 * Copies @fd into a memfd sealed against any change (write, shrink, grow,
 * further seals), so that what is mapped from it cannot change or shrink
 * under the mappings, whatever happens to the original file afterwards.
 * Returns the memfd (O_CLOEXEC; the caller closes it) or a negative errno
 * after a message; -EAGAIN when the file changed while it was read.
 */
EMF_HIDDEN int emf__trusted_copy(int fd, const char *path);

#endif /* __EMF_TRUSTED_INTERNAL_H */
