/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private parts of the control socket shared by the server and its built-in services. */
#ifndef __EMF_CTL_INTERNAL_H
#define __EMF_CTL_INTERNAL_H

#include <emf/bus.h>
#include <emf/ctl.h>
#include <emf/fmt.h>

#define EMF_CTL_HIDDEN __attribute__((visibility("hidden")))

struct emf_ctl_services;

/* ctl_err.c: the message of the last failed call and the method it failed for. */
struct emf_ctl_err {
	char *method;
	char *text;
};

/* Fail @req with @err, keeping the message in @e for the caller; returns @err (-EIO if >= 0). */
EMF_CTL_HIDDEN int emf__ctl_fail(struct emf_ctl_err *e, struct emf_bus_req *req, int err,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The message @e holds for a failed call of @method, or NULL; taken by the caller (free()). */
EMF_CTL_HIDDEN char *emf__ctl_err_take(struct emf_ctl_err *e, const char *method);
EMF_CTL_HIDDEN void emf__ctl_err_free(struct emf_ctl_err *e);

/* How the services read the counters of the server above them (emf_ctl_server__stats). */
typedef int (*emf__ctl_stats_fn)(const struct emf_ctl_server *srv,
				 struct emf_ctl_server_stats *st);

/*
 * The built-in services (emf.plugins, emf.bus, emf.maps, emf.stats) of @srv
 * on @bus; emf.stats reads @srv's counters with @server_stats. Returns them,
 * freed with emf__ctl_services_free(), or NULL with errno set.
 */
EMF_CTL_HIDDEN struct emf_ctl_services *emf__ctl_services_new(struct emf_ctl_server *srv,
							       struct emf_runtime *rt,
							       struct emf_bus *bus,
							       emf__ctl_stats_fn server_stats);
EMF_CTL_HIDDEN void emf__ctl_services_free(struct emf_ctl_services *s);

/*
 * The message a built-in service left for the failed call of @method, or
 * NULL; taken by the caller (free()).
 */
EMF_CTL_HIDDEN char *emf__ctl_services_take_error(struct emf_ctl_services *s, const char *method);

/* emf.maps (ctl_maps.c): added with the other built-in services. */
struct maps_ctx;
EMF_CTL_HIDDEN struct maps_ctx *emf__ctl_maps_new(struct emf_ctl_err *fails,
						  struct emf_runtime *rt, struct emf_bus *bus);
EMF_CTL_HIDDEN void emf__ctl_maps_free(struct maps_ctx *c);

#endif /* __EMF_CTL_INTERNAL_H */
