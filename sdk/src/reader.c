// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event reader: every ring buffer and perf buffer output of every started
 * plugin, behind the runtime's single epoll fd.
 *
 * Each output has its own libbpf reader (ring_buffer or perf_buffer), so one
 * busy output cannot starve the others: a read stops after EMF_READ_BUDGET
 * events and an eventfd makes the epoll fd readable again for the rest. Ring
 * buffer map fds sit in the epoll set directly (no nested epoll on the hot
 * path), edge-triggered.
 *
 * Wake-ups adapt to the rate. emf_submit() of <emf/emf.bpf.h> (and the shim)
 * wakes the reader for a record that is the first unread one (the kernel's
 * own test) or that takes the ring past a quarter full, never otherwise.
 * Idle, no timer runs: a lone event wakes the host, which reads it at once.
 * When a read finds events piling up (EMF_BURST_ARM or more, or its budget
 * spent) the reader is busy: a timer drains every output each drain_ms, and a
 * ring's wake-up is read at once only past an eighth full (what is below
 * waits for the timer), so a storm costs about two wake-ups per drain_ms. A
 * drain that finds fewer than EMF_BURST_STAY events stops the timer again.
 * Perf buffers have no "first unread" wake-up: they wake the reader at a
 * quarter of each CPU's buffer, and while any is read the timer always runs.
 * Sampled maps arm a one-shot timer for the next one due.
 *
 * Loss: perf buffers report dropped samples in-band (PERF_RECORD_LOST); ring
 * buffers cannot, so emf_reserve()/emf_output() (and the plain helpers, through
 * emf-codegen's <emf/shim.bpf.h>) count failed reserves in the plugin's
 * per-CPU emf_lost map, which the reader sums about once a second, at
 * emf_plugin__stats() and at stop. Loss goes to the host's lost_cb or, without
 * one, is warned about when first seen, then at most every EMF_LOST_WARN_S
 * seconds per output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/filter.h>
#include <emf/runtime.h>

#include "kernel.h"
#include "log_internal.h"
#include "opts_internal.h"
#include "runtime_internal.h"

#define EMF_PERFBUF_BYTES (256 * 1024) /* per CPU */
#define EMF_READ_BUDGET 4096 /* events of one output per read */
#define EMF_LOST_WARN_S 10

/* As declared by <emf/emf.bpf.h>. */
#define EMF_LOST_MAP "emf_lost"
#define EMF_MAP_NAME_LEN 16

struct emf_perf_sample {
	struct perf_event_header header;
	uint32_t size;
	char data[];
};

struct emf_perf_lost {
	struct perf_event_header header;
	uint64_t id;
	uint64_t lost;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t emf__reader_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* At the start of a poll: its read time, and how far each BPF clock is from the wall clock. */
void emf__reader_stamp_clocks(struct emf_runtime *rt)
{
	uint64_t real = clock_ns(CLOCK_REALTIME);

	rt->read_ns = real;
	rt->clock_off[EMF_CLOCK_MONOTONIC] = real - clock_ns(CLOCK_MONOTONIC);
	rt->clock_off[EMF_CLOCK_BOOTTIME] = real - clock_ns(CLOCK_BOOTTIME);
}

/* The event's own timestamp on the wall clock, or the read time when it has none (or 0). */
static uint64_t event_time(const struct emf_runtime *rt, const struct emf_event_type *type,
			   const void *data)
{
	uint64_t ts;

	if ((type->time_clock != EMF_CLOCK_MONOTONIC && type->time_clock != EMF_CLOCK_BOOTTIME) ||
	    type->time_offset > type->min_size - sizeof(ts) || type->min_size < sizeof(ts))
		return rt->read_ns;
	memcpy(&ts, (const char *)data + type->time_offset, sizeof(ts));
	return ts ? ts + rt->clock_off[type->time_clock] : rt->read_ns;
}

static int deliver(struct emf_output_rt *o, const void *data, size_t size)
{
	struct emf_plugin *p = o->plugin;
	struct emf_runtime *rt = p->rt;
	const struct emf_event_type *type = o->out->event;
	struct emf_event ev;
	int err;

	rt->burst++;
	if (size < type->min_size) {
		o->stats.decode_errors++;
		p->stats.decode_errors++;
		return 0;
	}
	o->stats.events++;
	p->stats.events++;
	if (p->filters && !emf_filter__match(p->filters[o - p->outs], data, size))
		return 0;
	rt->delivered++;
	/*
	 * Zero copy for the host; the bus copies once for its subscribers, or
	 * none for inline ones, whose JSON rendering the host may reuse.
	 */
	rt->json_data = data;
	rt->json.len = 0;
	if (rt->tee.event && o->topic)
		rt->tee.event(rt->tee.ctx, o->topic, type, data, size);
	if (!rt->event_cb || (rt->ordered && rt->batching)) {
		rt->json_data = NULL;
		if (!rt->event_cb)
			return 0;
	}
	ev.plugin = p;
	ev.type = type;
	ev.data = data;
	ev.size = size;
	ev.time_ns = event_time(rt, type, data);
	if (rt->ordered && rt->batching)
		err = emf__order_push(&rt->order, &ev);
	else
		err = rt->event_cb(rt->ctx, &ev);
	rt->json_data = NULL;
	if (err < 0) {
		rt->cb_err = err;
		return err;
	}
	return 0;
}

int emf__reader_deliver(struct emf_output_rt *o, const void *data, size_t size)
{
	return deliver(o, data, size);
}

static int on_ringbuf_sample(void *ctx, void *data, size_t size)
{
	struct emf_output_rt *o = ctx;
	int err;

	err = deliver(o, data, size);
	if (err)
		return err;
	if (--o->budget == 0) {
		/* Stop here (libbpf keeps this record consumed); the rest on the next read. */
		o->pending = true;
		return -EAGAIN;
	}
	return 0;
}

/* Report the events @o lost since the last report: to the host's lost_cb, or as a warning. */
static void warn_loss(struct emf_output_rt *o)
{
	struct emf_runtime *rt = o->plugin->rt;
	uint64_t now, n = o->stats.lost - o->lost_warned;

	if (!n)
		return;
	if (rt->lost_cb) {
		o->lost_warned = o->stats.lost;
		rt->lost_cb(rt->ctx, o->plugin, (size_t)(o - o->plugin->outs), n, o->stats.lost);
		return;
	}
	now = emf__reader_now_ns();
	if (o->warned_ns && now - o->warned_ns < EMF_LOST_WARN_S * 1000000000ULL)
		return;
	pr_warn("reader: plugin '%s' lost %" PRIu64 " events on map '%s' (%s full; %" PRIu64 " lost in all): the host reads slower than the plugin sends; read faster or enlarge the buffer with emf_plugin__set_ring_size()\n",
		o->plugin->desc->name, n, o->out->map_name,
		o->out->kind == EMF_OUTPUT_PERFBUF ? "perf buffer" : "ring buffer", o->stats.lost);
	o->lost_warned = o->stats.lost;
	o->warned_ns = now;
}

static enum bpf_perf_event_ret on_perf_event(void *ctx, int cpu, struct perf_event_header *hdr)
{
	struct emf_output_rt *o = ctx;

	(void)cpu;
	/* The host stopped this poll: leave the rest in the buffers. */
	if (o->plugin->rt->cb_err)
		return LIBBPF_PERF_EVENT_DONE;
	if (hdr->type == PERF_RECORD_SAMPLE) {
		struct emf_perf_sample *s = (void *)hdr;
		const void *data = s->data;

		/*
		 * A perf sample's data follows a 4-byte size, so it is only 4-byte
		 * aligned; the typed accessors need the struct's own alignment.
		 */
		if ((uintptr_t)data & (EMF_EVENT_ALIGN - 1)) {
			if (s->size > o->scratch_size) {
				void *p = NULL;

				if (posix_memalign(&p, EMF_EVENT_ALIGN, s->size))
					return LIBBPF_PERF_EVENT_CONT;
				free(o->scratch);
				o->scratch = p;
				o->scratch_size = s->size;
			}
			memcpy(o->scratch, data, s->size);
			data = o->scratch;
		}
		if (deliver(o, data, s->size))
			return LIBBPF_PERF_EVENT_DONE;
	} else if (hdr->type == PERF_RECORD_LOST) {
		struct emf_perf_lost *l = (void *)hdr;

		o->stats.lost += l->lost;
		o->plugin->stats.lost += l->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

/* Read one output, up to EMF_READ_BUDGET events. Returns 0 or a negative errno. */
int emf__reader_consume(struct emf_runtime *rt, struct emf_output_rt *o)
{
	uint64_t before = o->stats.events;
	int ret;

	o->budget = EMF_READ_BUDGET;
	o->pending = false;
	if (o->rb)
		ret = rt->kernel->ringbuf_consume(o->rb);
	else if (o->pb)
		ret = rt->kernel->perfbuf_consume(o->pb);
	else
		return 0;
	if (o->stats.events != before) {
		o->stats.batches++;
		o->plugin->stats.batches++;
	}
	if (rt->cb_err)
		return rt->cb_err;
	if (o->pending) {
		rt->kick = true;
		return 0;
	}
	if (ret < 0) {
		pr_warn("reader: failed to read map '%s' of plugin '%s': %s\n", o->out->map_name,
			o->plugin->desc->name, emf_strerror(ret));
		return ret;
	}
	if (o->stats.lost != o->lost_warned)
		warn_loss(o);
	return 0;
}

/* The emf_lost key of map @name: its first 15 characters, zero-padded. */
static void lost_key(char key[EMF_MAP_NAME_LEN], const char *name)
{
	memset(key, 0, EMF_MAP_NAME_LEN);
	strncpy(key, name, EMF_MAP_NAME_LEN - 1);
}

void emf__reader_sync_lost(struct emf_plugin *p)
{
	struct emf_runtime *rt = p->rt;
	char key[EMF_MAP_NAME_LEN], next[EMF_MAP_NAME_LEN], want[EMF_MAP_NAME_LEN];
	uint64_t total = 0;
	void *prev = NULL;
	uint32_t j;
	int fd, cpu;

	if (!p->lost_map || !rt->pcpu_vals || !p->outs)
		return;
	fd = rt->kernel->map_fd(p->lost_map);
	for (j = 0; j < p->desc->n_outputs; j++)
		p->outs[j].lost_scan = 0;
	while (!rt->kernel->map_next_key(fd, prev, next)) {
		uint64_t sum = 0;

		memcpy(key, next, sizeof(key));
		prev = key;
		if (rt->kernel->map_lookup(fd, key, rt->pcpu_vals))
			continue;
		for (cpu = 0; cpu < rt->ncpus; cpu++)
			sum += rt->pcpu_vals[cpu];
		total += sum;
		for (j = 0; j < p->desc->n_outputs; j++) {
			lost_key(want, p->outs[j].out->map_name);
			if (p->outs[j].out->kind == EMF_OUTPUT_RINGBUF && !memcmp(want, key, sizeof(key))) {
				p->outs[j].lost_scan += sum;
				break;
			}
		}
		if (j == p->desc->n_outputs && sum && !p->lost_stray_warned) {
			pr_warn("reader: plugin '%s' counted lost events under '%.*s', which is none of its output maps: pass the map to emf_reserve()/emf_output() (or the bpf_ringbuf_*() helpers) as &NAME\n",
				p->desc->name, EMF_MAP_NAME_LEN, key);
			p->lost_stray_warned = true;
		}
	}
	for (j = 0; j < p->desc->n_outputs; j++) {
		struct emf_output_rt *o = &p->outs[j];

		if (o->lost_scan > o->lost_run) {
			o->stats.lost += o->lost_scan - o->lost_run;
			o->lost_run = o->lost_scan;
		}
		if (o->stats.lost != o->lost_warned)
			warn_loss(o);
	}
	if (total > p->lost_run) {
		p->stats.lost += total - p->lost_run;
		p->lost_run = total;
	}
}

static int ensure_outs(struct emf_plugin *p)
{
	uint32_t j;

	if (p->outs || !p->desc->n_outputs)
		return 0;
	p->outs = calloc(p->desc->n_outputs, sizeof(*p->outs));
	if (!p->outs)
		return -ENOMEM;
	for (j = 0; j < p->desc->n_outputs; j++) {
		p->outs[j].plugin = p;
		p->outs[j].out = &p->desc->outputs[j];
		/* The bus topic of its events: PLUGIN.EVENT. */
		if (asprintf(&p->outs[j].topic, "%s.%s", p->desc->name,
			     p->desc->outputs[j].event->name) < 0)
			p->outs[j].topic = NULL;
	}
	return 0;
}

void emf__reader_plugin_free(struct emf_plugin *p)
{
	uint32_t j;

	for (j = 0; p->outs && j < p->desc->n_outputs; j++) {
		free(p->outs[j].topic);
		free(p->outs[j].scratch);
	}
	free(p->outs);
	p->outs = NULL;
}

int emf_plugin__set_ring_size(struct emf_plugin *p, const char *map, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t j, found = 0;
	int err;

	if (!p)
		return emf_err(-EINVAL);
	if (p->state == EMF_PLUGIN_LOADED || p->state == EMF_PLUGIN_ATTACHED) {
		pr_warn("reader: cannot size the event buffers of plugin '%s': it is loaded; set ring sizes before emf_runtime__start()\n",
			p->desc->name);
		return emf_err(-EMF_ERRNO__STATE);
	}
	if (bytes < page || (bytes & (bytes - 1)) || bytes > (1UL << 31)) {
		pr_warn("reader: invalid size %zu for the event buffers of plugin '%s': give a power of two from %zu (the page size) to 2 GiB\n",
			bytes, p->desc->name, page);
		return emf_err(-EINVAL);
	}
	err = ensure_outs(p);
	if (err)
		return emf_err(err);
	for (j = 0; j < p->desc->n_outputs; j++) {
		if (map && strcmp(map, p->outs[j].out->map_name))
			continue;
		p->outs[j].ring_size = bytes;
		found++;
	}
	if (!found && !map) {
		pr_warn("reader: plugin '%s' has no event outputs to size\n", p->desc->name);
		return emf_err(-ENOENT);
	}
	if (!found) {
		char names[256] = "";

		for (j = 0; j < p->desc->n_outputs; j++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 j ? ", " : "", p->desc->outputs[j].map_name);
		pr_warn("reader: plugin '%s' has no event output map '%s'; its outputs are: %s\n",
			p->desc->name, map, names);
		return emf_err(-ENOENT);
	}
	return 0;
}

int emf__reader_prepare(struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	uint32_t j;
	int err;

	if (!obj || !p->outs)
		return 0;
	for (j = 0; j < p->desc->n_outputs; j++) {
		struct emf_output_rt *o = &p->outs[j];
		struct bpf_map *map;

		if (!o->ring_size || o->out->kind != EMF_OUTPUT_RINGBUF)
			continue;
		map = bpf_object__find_map_by_name(obj, o->out->map_name);
		if (!map) {
			pr_warn("reader: plugin '%s' has no map '%s' to size; rebuild it with emf-codegen\n",
				p->desc->name, o->out->map_name);
			return -ENOENT;
		}
		err = bpf_map__set_max_entries(map, (uint32_t)o->ring_size);
		if (err) {
			pr_warn("reader: failed to size map '%s' of plugin '%s' to %zu bytes: %s\n",
				o->out->map_name, p->desc->name, o->ring_size, emf_strerror(err));
			return err;
		}
	}
	return 0;
}

static int watch(struct emf_runtime *rt, int fd, void *tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = tag };

	if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

static int setup_perfbuf(struct emf_output_rt *o, int fd)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t bytes = o->ring_size ?: EMF_PERFBUF_BYTES;
	/* Wake up at a quarter full, as emf_submit() does; the drain timer reads the rest. */
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_RAW,
		.watermark = 1,
		.wakeup_watermark = (uint32_t)(bytes / 4),
	};

	o->pb = o->plugin->rt->kernel->perfbuf_new(fd, bytes < page ? 1 : bytes / page, &attr,
						   on_perf_event, o);
	return o->pb ? 0 : -errno;
}

/*
 * Map the ring's consumer and producer positions read-only, so that a
 * wake-up while busy can be weighed without reading the ring.
 */
static int map_positions(struct emf_output_rt *o, const struct bpf_map *map)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const void *pos = o->plugin->rt->kernel->ringbuf_positions(o->map_fd, page);

	if (!pos)
		return -errno;
	o->rb_pos = pos;
	/* Below what emf_submit() forces a wake-up at, so that its wake-up is read. */
	o->rb_thresh = bpf_map__max_entries(map) / 8;
	return 0;
}

static void unmap_positions(struct emf_output_rt *o)
{
	if (o->rb_pos)
		o->plugin->rt->kernel->ringbuf_unmap(o->rb_pos, (size_t)sysconf(_SC_PAGESIZE));
	o->rb_pos = NULL;
}

/* Bytes written to the ring and not yet read, as BPF_RB_AVAIL_DATA counts them. */
static uint64_t ring_unread(const struct emf_output_rt *o)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const uint64_t *cons = o->rb_pos, *prod = (const void *)((const char *)o->rb_pos + page);

	return __atomic_load_n(prod, __ATOMIC_ACQUIRE) - __atomic_load_n(cons, __ATOMIC_ACQUIRE);
}

bool emf__reader_wakeup_due(const struct emf_output_rt *o)
{
	return !o->rb_pos || ring_unread(o) >= o->rb_thresh;
}

static int setup_output(struct emf_runtime *rt, struct emf_output_rt *o)
{
	struct emf_plugin *p = o->plugin;
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, o->out->map_name) : NULL;
	int fd, err;

	if (!map) {
		pr_warn("reader: plugin '%s' has no map '%s' for its events; rebuild it with emf-codegen\n",
			p->desc->name, o->out->map_name);
		return -ENOENT;
	}
	fd = rt->kernel->map_fd(map);
	switch (o->out->kind) {
	case EMF_OUTPUT_RINGBUF:
		o->rb = rt->kernel->ringbuf_new(fd, on_ringbuf_sample, o);
		if (!o->rb) {
			err = -errno;
			break;
		}
		o->map_fd = fd;
		err = map_positions(o, map);
		if (!err)
			err = watch(rt, fd, o, EPOLLIN | EPOLLET);
		break;
	case EMF_OUTPUT_PERFBUF:
		err = setup_perfbuf(o, fd);
		if (!err)
			err = watch(rt, rt->kernel->perfbuf_epoll_fd(o->pb), o, EPOLLIN);
		if (!err)
			rt->n_perf++;
		break;
	default:
		err = -EINVAL;
	}
	if (err)
		pr_warn("reader: failed to read map '%s' of plugin '%s': %s\n", o->out->map_name,
			p->desc->name, emf_strerror(err));
	return err;
}

/* Find the plugin's emf_lost map and give every ring output its key, so that BPF only looks up. */
static void setup_lost(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, EMF_LOST_MAP) : NULL;
	char key[EMF_MAP_NAME_LEN];
	uint32_t j;

	if (!map || bpf_map__type(map) != BPF_MAP_TYPE_PERCPU_HASH ||
	    bpf_map__key_size(map) != EMF_MAP_NAME_LEN || bpf_map__value_size(map) != 8)
		return;
	p->lost_map = map;
	p->lost_run = 0;
	memset(rt->pcpu_vals, 0, rt->ncpus * sizeof(*rt->pcpu_vals));
	for (j = 0; j < p->desc->n_outputs; j++) {
		p->outs[j].lost_run = 0;
		if (p->outs[j].out->kind != EMF_OUTPUT_RINGBUF)
			continue;
		lost_key(key, p->outs[j].out->map_name);
		rt->kernel->map_update(rt->kernel->map_fd(map), key, rt->pcpu_vals, BPF_NOEXIST);
	}
}

/* The timer starts disarmed: update_timer() arms it when there is something to do. */
static int setup_fds(struct emf_runtime *rt)
{
	int err;

	rt->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rt->timerfd < 0)
		return -errno;
	rt->timer_armed = 0;
	rt->busy = false;
	rt->burst = 0;
	err = watch(rt, rt->timerfd, &rt->timerfd, EPOLLIN);
	if (err)
		return err;
	rt->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rt->kickfd < 0)
		return -errno;
	return watch(rt, rt->kickfd, &rt->kickfd, EPOLLIN);
}

/* Runtime-wide reader state: the per-CPU buffer and the drain and kick fds. */
static int setup_common(struct emf_runtime *rt)
{
	int err;

	if (rt->pcpu_vals)
		return 0;
	rt->next_sync_ns = 0;
	rt->ncpus = rt->kernel->possible_cpus();
	if (rt->ncpus <= 0) {
		err = rt->ncpus ?: -EINVAL;
		pr_warn("reader: failed to count the possible CPUs: %s\n", emf_strerror(err));
		return err;
	}
	rt->pcpu_vals = calloc(rt->ncpus, sizeof(*rt->pcpu_vals));
	if (!rt->pcpu_vals)
		return -ENOMEM;
	return 0;
}

int emf__reader_plugin_setup(struct emf_runtime *rt, struct emf_plugin *p)
{
	uint32_t j;
	int err;

	if (!p->desc->n_outputs && !p->desc->n_samples)
		return 0;
	err = setup_common(rt);
	if (!err)
		err = ensure_outs(p);
	if (!err)
		err = emf__samples_setup(rt, p);
	if (err)
		return err;
	setup_lost(rt, p);
	for (j = 0; j < p->desc->n_outputs; j++) {
		err = setup_output(rt, &p->outs[j]);
		if (err)
			goto err_teardown;
	}
	if (rt->timerfd < 0) {
		err = setup_fds(rt);
		if (err) {
			pr_warn("reader: failed to set up the drain timer: %s\n", emf_strerror(err));
			goto err_teardown;
		}
	}
	return 0;

err_teardown:
	emf__reader_plugin_teardown(rt, p);
	return err;
}

int emf__reader_setup(struct emf_runtime *rt)
{
	size_t i;
	int err;

	err = setup_common(rt);
	if (err)
		return err;
	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		/* Plugins that failed under keep-going have nothing to read. */
		if (p->state != EMF_PLUGIN_ATTACHED)
			continue;
		err = emf__reader_plugin_setup(rt, p);
		if (err) {
			emf__reader_teardown(rt);
			return err;
		}
	}
	return 0;
}

static void close_watched(struct emf_runtime *rt, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(rt->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

void emf__reader_plugin_drain(struct emf_runtime *rt, struct emf_plugin *p)
{
	int saved = rt->cb_err, round;
	uint32_t j;

	/*
	 * A poll the host stopped may have left ordered events (of any plugin)
	 * waiting: deliver them now, before this plugin's types can go away.
	 */
	while (rt->order.n)
		emf__order_flush(&rt->order, rt->event_cb, rt->ctx);
	if (!p->outs)
		return;
	for (j = 0; j < p->desc->n_outputs; j++) {
		rt->cb_err = 0;
		for (round = 0; round < EMF_DRAIN_ROUNDS; round++)
			if (emf__reader_consume(rt, &p->outs[j]) || !p->outs[j].pending)
				break;
	}
	/* A callback that asked to stop stops this drain only, not the stop. */
	rt->cb_err = saved;
}

void emf__reader_plugin_teardown(struct emf_runtime *rt, struct emf_plugin *p)
{
	uint32_t j;

	emf__samples_teardown(p);
	if (!p->outs)
		return;
	/* The last count, while the map is still there. */
	emf__reader_sync_lost(p);
	p->lost_map = NULL;
	p->lost_run = 0;
	for (j = 0; j < p->desc->n_outputs; j++) {
		struct emf_output_rt *o = &p->outs[j];

		o->pending = false;
		o->lost_run = 0;
		if (o->rb) {
			epoll_ctl(rt->epfd, EPOLL_CTL_DEL, o->map_fd, NULL);
			rt->kernel->ringbuf_free(o->rb);
			o->rb = NULL;
		}
		unmap_positions(o);
		if (o->pb) {
			epoll_ctl(rt->epfd, EPOLL_CTL_DEL, rt->kernel->perfbuf_epoll_fd(o->pb), NULL);
			rt->kernel->perfbuf_free(o->pb);
			o->pb = NULL;
			rt->n_perf--;
		}
	}
}

void emf__reader_teardown(struct emf_runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->cnt; i++)
		emf__reader_plugin_teardown(rt, rt->plugins[i]);
	close_watched(rt, &rt->timerfd);
	close_watched(rt, &rt->kickfd);
	free(rt->pcpu_vals);
	rt->pcpu_vals = NULL;
}

int emf_plugin__output_stats(const struct emf_plugin *plugin, size_t idx,
			     struct emf_output_stats *stats)
{
	if (!plugin || !stats)
		return emf_err(-EINVAL);
	if (idx >= plugin->desc->n_outputs)
		return emf_err(-ENOENT);
	if (!plugin->outs) {
		memset(stats, 0, sizeof(*stats));
		return 0;
	}
	/* The counters are a cache of the kernel's: bringing them up to date is not a change. */
	emf__reader_sync_lost((struct emf_plugin *)plugin);
	*stats = plugin->outs[idx].stats;
	return 0;
}

int emf_plugin__stats(const struct emf_plugin *plugin, struct emf_plugin_stats *stats)
{
	if (!plugin || !stats)
		return emf_err(-EINVAL);
	/* The counters are a cache of the kernel's: bringing them up to date is not a change. */
	emf__reader_sync_lost((struct emf_plugin *)plugin);
	*stats = plugin->stats;
	return 0;
}
