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

#endif /* __EMF_CTL_INTERNAL_H */
