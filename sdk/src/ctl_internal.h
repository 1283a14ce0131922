/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private parts of the control socket shared by the server and its built-in services. */
#ifndef __EMF_CTL_INTERNAL_H
#define __EMF_CTL_INTERNAL_H

#include <emf/bus.h>
#include <emf/ctl.h>
#include <emf/fmt.h>

#define EMF_CTL_HIDDEN __attribute__((visibility("hidden")))

struct emf_ctl_services;

/*
 * The built-in services (emf.plugins, emf.bus, emf.maps, emf.stats) of @srv
 * on @bus. Returns them, freed with emf__ctl_services_free(), or NULL with
 * errno set.
 */
EMF_CTL_HIDDEN struct emf_ctl_services *emf__ctl_services_new(struct emf_ctl_server *srv,
							       struct emf_runtime *rt,
							       struct emf_bus *bus);
EMF_CTL_HIDDEN void emf__ctl_services_free(struct emf_ctl_services *s);

/*
 * The message a built-in service left for the failed call of @method, or
 * NULL; taken by the caller (free()).
 */
EMF_CTL_HIDDEN char *emf__ctl_services_take_error(struct emf_ctl_services *s, const char *method);

/* Fail @req with @err, keeping the message for the caller; returns @err. */
EMF_CTL_HIDDEN int emf__ctl_fail(struct emf_ctl_services *s, struct emf_bus_req *req, int err,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* emf.maps (ctl_maps.c): added with the other built-in services. */
struct maps_ctx;
EMF_CTL_HIDDEN struct maps_ctx *emf__ctl_maps_new(struct emf_ctl_services *s,
						  struct emf_runtime *rt, struct emf_bus *bus);
EMF_CTL_HIDDEN void emf__ctl_maps_free(struct maps_ctx *c);

#endif /* __EMF_CTL_INTERNAL_H */
