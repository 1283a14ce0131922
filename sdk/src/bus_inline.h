/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the bus (bus_topic.c) offers the control server alone: subscriptions
 * called by the publisher itself, for a subscriber on the host thread whose
 * callback only copies the message out (ctl_server.c's listeners).
 */
#ifndef __EMF_BUS_INLINE_H
#define __EMF_BUS_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include <emf/bus.h>

/*
 * emf__bus_sub_set_inline - from now on, a message the host thread publishes
 * calls @sub's callback at once, before emf_bus__publish() returns, unless
 * older ones are still queued for it (from other threads, which go on being
 * queued). The message is valid during the call only and must not be
 * referenced; @sub is unsubscribed only on the host thread, and its callback
 * neither publishes nor (un)subscribes. Returns 0, or -EINVAL for a
 * subscription not delivered on the host.
 */
__attribute__((visibility("hidden"))) int emf__bus_sub_set_inline(struct emf_bus_sub *sub);

/*
 * emf__bus_sub_hold - with @on, every message published to @sub from now on
 * is dropped and counted as dropped, without a call or a queue: for a
 * subscriber that knows it could not keep them (a listener whose socket
 * queue is full). Messages already queued are still delivered. Any thread.
 */
__attribute__((visibility("hidden"))) void emf__bus_sub_hold(struct emf_bus_sub *sub, bool on);

/*
 * The messages @sub lost, on a full queue or held, as emf_bus_sub__stats()
 * counts them.
 */
__attribute__((visibility("hidden"))) uint64_t emf__bus_sub_dropped(const struct emf_bus_sub *sub);

#endif /* __EMF_BUS_INLINE_H */
