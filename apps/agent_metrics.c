// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* emf-agent: --metrics [ADDR:]PORT and --metric RULE, through <emf/metrics.h>. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <emf/errno.h>
#include <emf/metrics.h>

#include "agent.h"

/* A scrape waits: render now rather than at the next wake-up of an idle loop. */
static void on_scrape(void *ctx, int fd)
{
	(void)fd;
	agent_metrics_publish(ctx);
}

int agent_metrics_setup(struct agent_metrics *am, struct emf_runtime *rt, const char *listen,
			char *const *rules, int n_rules)
{
	const char *colon;
	int i, err;

	if (!listen && !n_rules)
		return 0;
	if (listen && !emf_metrics_server__supported()) {
		fprintf(stderr, "emf-agent: --metrics: this emf-agent was built without libmicrohttpd; install libmicrohttpd-dev and rebuild\n");
		return -EINVAL;
	}
	am->m = emf_metrics__new(rt, NULL);
	if (!am->m) {
		err = -errno;
		fprintf(stderr, "emf-agent: failed to set up metrics: %s\n", emf_strerror(err));
		return err;
	}
	/* The SDK's message says what is wrong with a rule. */
	for (i = 0; i < n_rules; i++) {
		err = emf_metrics__add_rule(am->m, rules[i]);
		if (err)
			return err == -ENOMEM ? err : -EINVAL;
	}
	if (!listen)
		return 0;
	am->srv = emf_metrics_server__new(am->m, listen, NULL);
	if (!am->srv)
		return errno == EINVAL ? -EINVAL : -errno;
	err = emf_runtime__add_fd(rt, emf_metrics__fd(am->m), on_scrape, am);
	if (err) {
		fprintf(stderr, "emf-agent: failed to watch for scrapes: %s\n", emf_strerror(err));
		return err;
	}
	am->rt = rt;
	/* The port, as bound: with PORT 0 the kernel chose it. */
	colon = strrchr(listen, ':');
	fprintf(stderr, "emf-agent: serving metrics on http://%.*s:%d/metrics\n",
		colon ? (int)(colon - listen) : 9, colon ? listen : "127.0.0.1",
		emf_metrics_server__port(am->srv));
	return 0;
}

void agent_metrics_publish(struct agent_metrics *am)
{
	int err;

	if (!am->m)
		return;
	err = emf_metrics__publish(am->m);
	if (err < 0)
		fprintf(stderr, "emf-agent: failed to render metrics: %s\n", emf_strerror(err));
}

void agent_metrics_free(struct agent_metrics *am)
{
	if (am->rt)
		emf_runtime__remove_fd(am->rt, emf_metrics__fd(am->m));
	am->rt = NULL;
	emf_metrics_server__destroy(am->srv);
	am->srv = NULL;
	emf_metrics__destroy(am->m);
	am->m = NULL;
}
