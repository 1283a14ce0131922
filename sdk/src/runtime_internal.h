/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Private state shared by the runtime's lifecycle and reader. */
#ifndef __EMF_RUNTIME_INTERNAL_H
#define __EMF_RUNTIME_INTERNAL_H

#include <emf/runtime.h>

struct ring_buffer;
struct perf_buffer;

/* One event output of one plugin, the context of the reader's callbacks. */
struct emf_output_rt {
	struct emf_plugin *plugin;
	const struct emf_output *out;
	struct perf_buffer *pb; /* EMF_OUTPUT_PERFBUF only */
};

struct emf_plugin {
	struct emf_runtime *rt;
	const struct emf_plugin_desc *desc;
	int priority;
	enum emf_plugin_state state;
	void *skel;
	struct emf_output_rt *outs; /* desc->n_outputs, while the reader runs */
	struct emf_plugin_stats stats;
	void **opt_vals; /* per option: the value to write at open, or NULL */
};

/* Tags of the epoll entries, in epoll_event.data.u64. */
enum emf_source {
	EMF_SRC_RINGBUF = 1,
	EMF_SRC_PERFBUF,
	EMF_SRC_TIMER,
};

struct emf_runtime {
	struct emf_plugin **plugins; /* lifecycle order */
	size_t cnt;
	size_t cap;
	emf_event_fn event_cb;
	void *ctx;
	int epfd;
	int timerfd; /* periodic drain of outputs that submit without wake-up */
	struct ring_buffer *rb; /* every ring buffer output of every plugin */
	bool running;
	int cb_err; /* what the event callback returned to stop a poll */
	char *log_buf; /* verifier log of the plugin being loaded */
	size_t log_size;
	char errmsg[1024];
};

int emf_options__apply(struct emf_plugin *p);
void emf_options__free(struct emf_plugin *p);

int emf_reader__setup(struct emf_runtime *rt);
void emf_reader__teardown(struct emf_runtime *rt);
int emf_reader__poll(struct emf_runtime *rt, int timeout_ms);

#endif /* __EMF_RUNTIME_INTERNAL_H */
