/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event filters: a small expression over the fields of an event type, checked
 * against the type's field table once, then matched against each event.
 *
 *   comm == "bash" && ret < 0
 *   (pid == 42 || uid == "nobody") && !(path == "/proc/[0-9]*")
 *   ret == ENOENT            sig != SIGKILL          key.syscall == openat
 *
 * A comparison is FIELD OP VALUE; FIELD names a member of the event (a.b for a
 * member of a nested struct), OP is one of == != < <= > >=, and VALUE is
 * typed by the field:
 *   - integers, enums, bools, chars, pointers: a number (decimal, 0x hex,
 *     negative; for an unsigned field, -1 is its largest value), true/false
 *     for a bool, a name for an enum's value;
 *   - a field with a name (<emf/types.h>): also that name: ENOENT for an
 *     emf_errno_t or emf_ret_t (emf_ret_t compares with -ENOENT), SIGKILL for
 *     an emf_signal_t, "root" for an emf_uid_t, "wheel" for an emf_gid_t,
 *     openat for an emf_syscall_t;
 *   - strings (char arrays): a "quoted" string, with == and != only; one
 *     holding *, ? or [ is a shell pattern (fnmatch(3));
 *   - addresses (emf_ipv4_t, emf_ipaddr_t): a quoted address, == and != only;
 *   - endpoints (struct emf_endpoint): a quoted "10.0.0.1:80" or "[::1]:22",
 *     == and != only; or a part, laddr.addr == "::1", laddr.port >= 1024.
 * && binds tighter than ||; ! negates; parentheses group. A field cut off in
 * an event sent short (a trailing array) compares as what arrived, or makes a
 * number comparison false.
 */
#ifndef __EMF_FILTER_H
#define __EMF_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct emf_event_type;
struct emf_plugin;
struct emf_filter;

/*
 * emf_filter__new - check @expr against the fields of @type
 * @filter: set to the new filter, which the caller frees with emf_filter__free()
 * @err: on error, one line saying what is wrong and where (may be NULL)
 *
 * Returns 0, -EINVAL for a syntax error, an unknown field or a value of the
 * wrong type (@err says which), or -ENOMEM.
 */
int emf_filter__new(const struct emf_event_type *type, const char *expr, struct emf_filter **filter,
		    char *err, size_t err_size);

/*
 * emf_filter__match - does an event of the filter's type pass it?
 * @data, @size: the event's bytes, at least the type's min_size
 */
bool emf_filter__match(const struct emf_filter *filter, const void *data, size_t size);

/* emf_filter__free - free @filter (NULL is fine). */
void emf_filter__free(struct emf_filter *filter);

/*
 * emf_plugin__set_filter - deliver only the plugin's events that match @expr
 * @expr: an expression as above, checked against every event type of the
 *        plugin; NULL removes the filter
 * @err: on error, one line naming the plugin, its event type and the problem;
 *       on success, empty, or a note naming the event types @expr does not
 *       fit (a field only another type has), whose events are then dropped
 *
 * Events that do not match are dropped as they are read, before the host's
 * callback and the bus see them (they still count in the plugin's events).
 * Calling it again replaces the filter. Call it from the thread that runs the
 * runtime (emf_runtime__poll()'s), as its events are read there; a plugin added
 * later (a dynamic one) starts with none. Returns 0, -EINVAL when @expr fits
 * none of the plugin's event types (or it has none), or -ENOMEM.
 */
int emf_plugin__set_filter(struct emf_plugin *plugin, const char *expr, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_FILTER_H */
