// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF iterators: a SEC("iter/...") program declared with EMF_ATTACH_ITER()
 * of <emf/attach.bpf.h> gets its iter link at attach, and every interval
 * (on the loop's timer, as sampled maps are read; interval 0: never), and
 * whenever the host asks (emf_plugin__iter_run()), the runtime
 * makes an iterator from the link, reads it to the end and delivers what the
 * program wrote with bpf_seq_write() as events of one of the plugin's event
 * outputs, through the same path as its ring buffer records: filters, the
 * bus and the host's callback see them alike. EMF_ATTACH_ITER_LINES() takes
 * text instead (BPF_SEQ_PRINTF()): each line is one event, held in the first
 * char[] member of the event struct (cut to fit), the other members zero.
 *
 * A run reads at most EMF_ITER_MAX_BYTES; output that is not a whole number
 * of event records is a decode error of its output, warned about once per
 * iterator, never delivered.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"

#define EMF_ITER_MAX_BYTES (4U << 20)
#define EMF_ITER_CHUNK 65536

struct emf_iter {
	struct emf_iter *next;
	const struct bpf_program *prog;
	struct bpf_link *link;
	bool own_link; /* else the skeleton's, which libbpf made and destroys */
	uint32_t out; /* index of the output its records belong to */
	const struct emf_field *text; /* lines: the string member each goes into */
	unsigned int interval_ms;
	uint64_t next_ms;
	bool warned;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int emf__iter_add(struct emf_plugin *p, struct bpf_program *prog, struct bpf_link *link,
		  unsigned int interval_ms, uint32_t out, bool lines, char *why, size_t n)
{
	const struct emf_event_type *type = p->desc->outputs[out].event;
	const struct emf_field *text = NULL;
	uint32_t i;
	struct emf_iter *it = calloc(1, sizeof(*it));
	int err;

	for (i = 0; lines && i < type->n_fields && !text; i++)
		if (type->fields[i].kind == EMF_FIELD_STRING && type->fields[i].size > 1)
			text = &type->fields[i];
	if (lines && !text) {
		snprintf(why, n,
			 "its lines go into the first char[] member of struct %s, which has none",
			 type->name);
		return -EINVAL;
	}
	if (!it)
		return -ENOMEM;
	it->text = text;
	it->link = link;
	if (!link) {
		struct emf__attach_to to = { .kind = EMF__AT_ITER };

		it->link = p->rt->kernel->attach(prog, &to);
		it->own_link = true;
	}
	if (!it->link) {
		err = -errno;
		snprintf(why, n, "failed to make its iterator link: %s", emf_strerror(err));
		free(it);
		return err;
	}
	it->prog = prog;
	it->out = out;
	it->interval_ms = interval_ms;
	it->next_ms = interval_ms ? now_ms() + interval_ms : UINT64_MAX;
	it->next = p->iters;
	p->iters = it;
	return 0;
}

void emf__iters_free(struct emf_plugin *p)
{
	while (p->iters) {
		struct emf_iter *it = p->iters;

		p->iters = it->next;
		if (it->own_link)
			p->rt->kernel->link_destroy(it->link);
		free(it);
	}
}

/* Count every bad run as a decode error of its output; true for the first, to warn about. */
static bool bad_run(struct emf_plugin *p, struct emf_iter *it)
{
	struct emf_output_rt *o = &p->outs[it->out];
	bool first = !it->warned;

	o->stats.decode_errors++;
	p->stats.decode_errors++;
	it->warned = true;
	return first;
}

/* One event per line of text (the last may lack its newline); NUL bytes make it no text. */
static int deliver_lines(struct emf_plugin *p, struct emf_iter *it, const char *buf, size_t len)
{
	struct emf_output_rt *o = &p->outs[it->out];
	uint32_t rec = o->out->event->size;
	const char *s = buf, *end = buf + len, *nl;
	void *ev = NULL;
	size_t n;
	int err = 0;

	if (memchr(buf, '\0', len)) {
		if (bad_run(p, it))
			pr_warn("iter: plugin '%s': iterator %s wrote NUL bytes, which is no text; such runs are dropped: print lines with BPF_SEQ_PRINTF(), or declare EMF_ATTACH_ITER() for records\n",
				p->desc->name, bpf_program__name(it->prog));
		return 0;
	}
	if (posix_memalign(&ev, EMF_EVENT_ALIGN, rec))
		return -ENOMEM;
	for (; s < end && !err; s = nl + 1) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		n = nl - s;
		if (n >= it->text->size)
			n = it->text->size - 1;
		memset(ev, 0, rec);
		memcpy((char *)ev + it->text->offset, s, n);
		err = emf__reader_deliver(o, ev, rec);
	}
	free(ev);
	return err;
}

/* Read one run of @it to its end (or EMF_ITER_MAX_BYTES) and deliver its records. */
static int run_one(struct emf_plugin *p, struct emf_iter *it, char **buf, size_t *cap)
{
	struct emf_output_rt *o = &p->outs[it->out];
	uint32_t rec = o->out->event->size;
	size_t len = 0, off;
	bool cut = false;
	ssize_t r;
	int fd, err = 0;

	fd = p->rt->kernel->iter_create(p->rt->kernel->link_fd(it->link));
	if (fd < 0) {
		err = fd;
		pr_warn("iter: plugin '%s': failed to start iterator %s: %s\n", p->desc->name,
			bpf_program__name(it->prog), emf_strerror(err));
		return 0; /* the next interval tries again */
	}
	for (;;) {
		if (len == EMF_ITER_MAX_BYTES) {
			cut = true;
			break;
		}
		if (*cap - len < EMF_ITER_CHUNK && *cap < EMF_ITER_MAX_BYTES) {
			size_t ncap = *cap ? *cap * 2 : EMF_ITER_CHUNK * 2;
			char *nb;

			if (ncap > EMF_ITER_MAX_BYTES)
				ncap = EMF_ITER_MAX_BYTES;
			nb = realloc(*buf, ncap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			*buf = nb;
			*cap = ncap;
		}
		r = read(fd, *buf + len, *cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			pr_warn("iter: plugin '%s': failed to read iterator %s: %s\n", p->desc->name,
				bpf_program__name(it->prog), emf_strerror(err));
			break;
		}
		if (!r)
			break;
		len += r;
	}
	close(fd);
	if (err)
		return err == -ENOMEM ? err : 0;
	if (cut) {
		if (bad_run(p, it))
			pr_warn("iter: plugin '%s': iterator %s wrote more than %u bytes in one run; the rest is dropped\n",
				p->desc->name, bpf_program__name(it->prog), EMF_ITER_MAX_BYTES);
		len -= it->text ? 0 : len % rec;
	}
	if (it->text)
		err = deliver_lines(p, it, *buf, len);
	else if (len % rec) {
		if (bad_run(p, it))
			pr_warn("iter: plugin '%s': iterator %s wrote %zu bytes, not a whole number of struct %s records (%u bytes each); such runs are dropped: write events with bpf_seq_write(seq, &ev, sizeof(ev))\n",
				p->desc->name, bpf_program__name(it->prog), len,
				o->out->event->name, rec);
		return 0;
	}
	for (off = 0; !it->text && off < len && !err; off += rec)
		err = emf__reader_deliver(o, *buf + off, rec);
	if (len && !err) {
		o->stats.batches++;
		p->stats.batches++;
	}
	return err;
}

uint64_t emf__iters_next_ms(const struct emf_runtime *rt)
{
	const struct emf_iter *it;
	uint64_t next = 0;
	size_t i;

	for (i = 0; i < rt->cnt; i++) {
		const struct emf_plugin *p = rt->plugins[i];

		if (!p->outs || p->state != EMF_PLUGIN_ATTACHED)
			continue;
		for (it = p->iters; it; it = it->next)
			if (it->interval_ms && (!next || it->next_ms < next))
				next = it->next_ms;
	}
	return next;
}

int emf__iters_poll(struct emf_runtime *rt)
{
	uint64_t now = now_ms();
	struct emf_iter *it;
	char *buf = NULL;
	size_t cap = 0, i;
	int err = 0;

	for (i = 0; i < rt->cnt && !err; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (!p->outs || p->state != EMF_PLUGIN_ATTACHED)
			continue;
		for (it = p->iters; it && !err; it = it->next) {
			if (!it->interval_ms || now < it->next_ms)
				continue;
			/* Keep the cadence; after a stall, skip what was missed. */
			it->next_ms += it->interval_ms;
			if (it->next_ms <= now)
				it->next_ms = now + it->interval_ms;
			err = run_one(p, it, &buf, &cap);
		}
	}
	free(buf);
	return err;
}

int emf_plugin__iter_run(struct emf_plugin *p, const char *prog)
{
	struct emf_iter *it, *found = NULL;
	char *buf = NULL;
	size_t cap = 0;
	uint64_t before;
	int err, n = 0;

	if (!p)
		return emf_err(-EINVAL);
	if (p->state != EMF_PLUGIN_ATTACHED || !p->outs)
		return emf_err(-EMF_ERRNO__STATE);
	for (it = p->iters; it; it = it->next) {
		if (prog ? !strcmp(bpf_program__name(it->prog), prog) : !n)
			found = it;
		n++;
	}
	if (!found || (!prog && n > 1))
		return emf_err(n > 1 && !prog ? -EINVAL : -ENOENT);
	before = p->outs[found->out].stats.events;
	err = run_one(p, found, &buf, &cap);
	free(buf);
	if (err)
		return emf_err(err);
	return (int)(p->outs[found->out].stats.events - before);
}
