/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared tail-call slots and shared maps, host side.
 *
 * Plugins' BPF code declares slots and shared maps with <emf/slots.bpf.h>
 * (included by <emf/emf.bpf.h>); the runtime does the rest at start: it
 * gives every slot name an index and writes it into the calling programs
 * before they load, shares one pinned prog array per program kind and the
 * exported maps, checks that everything fits together before anything is
 * loaded, fills each slot when its plugin attaches and empties it when the
 * plugin detaches, and removes the pins when nothing uses them any more.
 * These functions set where the pins live and report on the slots.
 *
 * Pins live under a root directory on bpffs (EMF_PIN_ROOT_DEFAULT); every
 * runtime of a process using the same root shares its slots and maps. The
 * root's parent directory must exist on bpffs (mount -t bpf bpf /sys/fs/bpf).
 *
 * A pin root has one owner process at a time, as bpfman has one owner of the
 * programs it manages: the first process whose runtime shares a slot or a
 * map under it, until the last of its runtimes using the root stops. Another
 * process starting plugins that share under the same root is refused, and the
 * message names the owner's pid: two hosts give their runtimes different
 * roots (emf_pin_opts.root). The owner is recorded in ROOT/owner (a symlink
 * to its pid) and held by a flock on the root, which the kernel drops when
 * the process dies however it dies; a start that finds the root without a
 * live owner but with an owner recorded empties the slots and removes the pins
 * that process left (SIGKILL, a crash) and says so in one line.
 * emf_runtime__clean_pins() does the same on demand.
 *
 * The root and its subdirectories are created mode 0700 and must belong to
 * the effective uid of the process and be writable by it alone; a symlink, or
 * a directory made by someone else, is refused with what to remove. The
 * directories above the root must belong to root (or that uid) and be
 * writable by others only when sticky (bpffs mounted without options is
 * 1777). Every check is made on the opened directory, and pins are made and
 * opened through it.
 */
#ifndef __EMF_SLOTS_H
#define __EMF_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <emf/runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMF_PIN_ROOT_DEFAULT "/sys/fs/bpf/emf"

struct emf_pin_opts {
	size_t sz;
	/*
	 * Directory of the shared pins, on bpffs (at most 127 characters);
	 * NULL for EMF_PIN_ROOT_DEFAULT. Its parent must exist.
	 */
	const char *root;
	/*
	 * Keep the pins when the runtime stops, even when no program uses
	 * them any more: slot numbers, missed counters and the contents of
	 * exported maps then survive until the next start (or until removed
	 * with emf_runtime__clean_pins()). By default the last user removes
	 * them. Pins a process leaves when it dies are removed at the next
	 * start either way.
	 */
	bool keep_pins;
	size_t :0;
};

/*
 * emf_runtime__set_pin_opts - where the runtime pins shared slots and maps
 * @opts: NULL for the defaults
 *
 * Kept for every later start. Returns 0, -EINVAL for bad options (a relative
 * or too long root, with a message), or -EMF_ERRNO__STATE while the runtime
 * runs.
 */
int emf_runtime__set_pin_opts(struct emf_runtime *rt, const struct emf_pin_opts *opts);

/*
 * emf_runtime__clean_pins - remove what is pinned under the runtime's pin root
 *
 * For a root left by a process that died without removing its pins, or kept
 * with keep_pins: empties its prog arrays (which keep programs and their maps
 * alive), removes every pin, the owner record and the root. The root must be
 * safe to use (see above). Not while @rt runs; refused while a live process
 * owns the root. Returns the number of pins removed (0 when there is no root),
 * -EBUSY when a running process owns the root, -EMF_ERRNO__STATE while @rt
 * runs, or another negative errno; emf_runtime__last_error() says why.
 */
int emf_runtime__clean_pins(struct emf_runtime *rt);

/* One slot called or filled by a plugin of a running runtime. */
struct emf_slot_info {
	const char *name; /* owned by the runtime, valid until it stops */
	/*
	 * The program kind of the slot's prog array, e.g. "raw_tracepoint",
	 * "xdp", "tracing.trace_raw_tp:sched_switch"; owned by the runtime.
	 */
	const char *kind;
	uint32_t index; /* in the kind's prog array */
	/* The plugin of this runtime that fills the slot, or NULL. */
	const struct emf_plugin *filler;
	/* The first plugin of this runtime that calls the slot, or NULL. */
	const struct emf_plugin *caller;
	/*
	 * The program in the slot now, read from the kernel: 0 when the slot
	 * is empty. It may belong to another runtime or process.
	 */
	uint32_t prog_id;
	/*
	 * Calls that missed, read from the kernel, summed over CPUs: the slot
	 * was empty, or the chain had made 33 tail calls already. Counted for
	 * every caller sharing the pin root since the counters were created.
	 */
	uint64_t missed;
};

/*
 * emf_runtime__slot_cnt - the number of slots the runtime's plugins use
 *
 * 0 when the runtime is not running.
 */
size_t emf_runtime__slot_cnt(const struct emf_runtime *rt);

/*
 * emf_runtime__slot - what the @idx-th slot holds and how many calls missed
 * @idx: 0 to emf_runtime__slot_cnt() - 1, slots in order of first use
 * @info: filled in
 *
 * Returns 0, -EINVAL for a NULL argument, -ENOENT when @idx is past the last
 * slot, or a negative errno when the kernel could not be read.
 */
int emf_runtime__slot(const struct emf_runtime *rt, size_t idx, struct emf_slot_info *info);

/*
 * emf_runtime__slot_by_name - emf_runtime__slot() of the slot named @name
 *
 * Returns 0, -EINVAL for a NULL argument, -ENOENT when no plugin of the
 * running runtime uses slot @name, or a negative errno from the kernel.
 */
int emf_runtime__slot_by_name(const struct emf_runtime *rt, const char *name,
			      struct emf_slot_info *info);

/*
 * emf_runtime__shared_map_fd - the fd of the shared map exported as @name
 *
 * For a map a plugin of the running runtime exports or imports. The fd is
 * owned by the runtime (do not close it) and valid until the runtime stops.
 * Returns the fd, or -EINVAL for a NULL argument, -ENOENT when no plugin of
 * the running runtime shares a map of that name.
 */
int emf_runtime__shared_map_fd(const struct emf_runtime *rt, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_SLOTS_H */
