// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The lifecycle of plugins: open -> load -> attach -> detach -> destroy, each
 * step with the plugin's user hooks around it.
 *
 * A start runs every phase over all plugins in priority order before the next
 * phase, so no program is attached until every plugin is loaded; a failure
 * unwinds in exact reverse, unless the host asked to keep going. Loading
 * (mostly CO-RE relocation against vmlinux BTF) and detaching (a tp/ link
 * takes tens of milliseconds to go) are independent per plugin, so they run
 * on a few threads; hooks are still called one at a time, in order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

#define EMF_VERIFIER_LOG_SIZE (1U << 20)
#define EMF_JOBS_MAX 16

/*
 * Report a failed step of @p once, through the print callback: one line at
 * warning level (which plugin, which step, why in plain words), then, at info
 * level, the detail (the verifier log's tail, libbpf's own lines). The
 * runtime's and the plugin's last error hold the line and the tail.
 */
static void set_error(struct emf_runtime *rt, struct emf_plugin *p, enum emf_step step, int err,
		      const char *what)
{
	char why[1024], tail[sizeof(rt->errmsg)];

	if (what) {
		/* A user hook failed: its own error is the reason. */
		why[0] = tail[0] = '\0';
	} else {
		err = emf__explain(p, step, err, why, sizeof(why), tail, sizeof(tail));
	}
	p->step_err = err;
	snprintf(rt->errmsg, sizeof(rt->errmsg), "plugin '%s' failed to %s%s: %s%s%s",
		 p->desc->name, emf_step_str(step), what ?: "", why[0] ? why : emf_strerror(err),
		 tail[0] ? "\nverifier log (tail):\n" : "", tail);
	free(p->last_error);
	p->last_error = strdup(rt->errmsg);
	pr_warn("runtime: %.*s\n", (int)strcspn(rt->errmsg, "\n"), rt->errmsg);
	if (tail[0])
		pr_info("runtime: plugin '%s': verifier log (tail):\n%s\n", p->desc->name, tail);
	emf__log_capture_replay(&p->libbpf_log, EMF_INFO);
	emf__log_capture_free(&p->libbpf_log);
}

/* A failure another part reported (slots, maps): the plugin keeps its text. */
static void note_failure(struct emf_runtime *rt, struct emf_plugin *p)
{
	free(p->last_error);
	p->last_error = strdup(rt->errmsg);
}

/* Around a step of @p: libbpf's warnings are kept as the detail of a failure. */
static void capture_begin(struct emf_plugin *p)
{
	emf__log_capture_free(&p->libbpf_log);
	emf__log_capture_begin(&p->libbpf_log);
}

/* A step that worked: the warnings it had are printed as they came. */
static void capture_pass(struct emf_plugin *p)
{
	emf__log_capture_replay(&p->libbpf_log, EMF_WARN);
	emf__log_capture_free(&p->libbpf_log);
}

/* Does a failure of @p end the whole start? */
static bool fatal(const struct emf_runtime *rt, const struct emf_plugin *p)
{
	return !rt->keep_going || p->required;
}

static void plugin_destroy(struct emf_plugin *p)
{
	const struct emf_plugin_hooks *h = p->desc->hooks;

	if (p->skel) {
		if (h && h->destroy && p->hooked)
			h->destroy(p);
		p->desc->ops->destroy(p->skel);
	}
	p->skel = NULL;
	p->hooked = false;
	free(p->log_buf);
	p->log_buf = NULL;
	if (p->state != EMF_PLUGIN_FAILED)
		p->state = EMF_PLUGIN_NEW;
}

/* A failed plugin: undo whatever its steps did, keep the state saying it failed. */
static void plugin_fail(struct emf_plugin *p)
{
	emf__attach_undo(p);
	if (p->state == EMF_PLUGIN_ATTACHED && p->desc->ops->detach)
		p->desc->ops->detach(p->skel);
	p->state = EMF_PLUGIN_FAILED;
	plugin_destroy(p);
	emf__slots_forget(p->rt, p);
}

static void plugin_detach_hook(struct emf_plugin *p)
{
	const struct emf_plugin_hooks *h = p->desc->hooks;

	emf__slots_release(p);
	if (p->state == EMF_PLUGIN_ATTACHED && h && h->detach)
		h->detach(p);
}

static void plugin_detach(struct emf_plugin *p)
{
	if (p->state != EMF_PLUGIN_ATTACHED)
		return;
	emf__attach_undo(p);
	if (p->desc->ops->detach)
		p->desc->ops->detach(p->skel);
	p->state = EMF_PLUGIN_LOADED;
}

static int plugin_open(struct emf_runtime *rt, struct emf_plugin *p)
{
	const struct emf_plugin_hooks *h = p->desc->hooks;
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	char why[192];
	int err;

	/* Per plugin, as plugins load in parallel; libbpf fills it only when a load fails. */
	free(p->log_buf);
	p->log_buf = malloc(EMF_VERIFIER_LOG_SIZE);
	if (!p->log_buf)
		return -ENOMEM;
	p->log_buf[0] = '\0';
	oo.kernel_log_buf = p->log_buf;
	oo.kernel_log_size = EMF_VERIFIER_LOG_SIZE;
	capture_begin(p);
	err = p->desc->ops->open(&p->skel, &oo);
	emf__log_capture_end();
	if (err) {
		p->skel = NULL;
		set_error(rt, p, EMF_STEP_OPEN, err < 0 ? err : -EINVAL, NULL);
		free(p->log_buf);
		p->log_buf = NULL;
		return p->step_err;
	}
	capture_pass(p);
	emf__sections_fix(p);
	err = emf__options_apply(p);
	if (!err)
		err = emf__reader_prepare(p);
	if (err) {
		set_error(rt, p, EMF_STEP_OPEN, err, NULL);
		goto err_destroy;
	}
	err = emf__maps_prepare(p, why, sizeof(why));
	if (err) {
		set_error(rt, p, EMF_STEP_OPEN, err, why);
		goto err_destroy;
	}
	p->state = EMF_PLUGIN_OPENED;
	if (h && h->create) {
		err = h->create(p);
		if (err) {
			set_error(rt, p, EMF_STEP_OPEN, err < 0 ? err : -EMF_ERRNO__HOOK,
				  " (its create hook)");
			goto err_destroy;
		}
	}
	p->hooked = true;
	return 0;

err_destroy:
	p->desc->ops->destroy(p->skel);
	p->skel = NULL;
	free(p->log_buf);
	p->log_buf = NULL;
	return p->step_err;
}

/* Run in a worker thread: no messages, no shared state but the plugin's own. */
static int plugin_load(struct emf_plugin *p)
{
	int err;

	capture_begin(p);
	err = p->desc->ops->load(p->skel);
	emf__log_capture_end();
	return err ? (err < 0 ? err : -EINVAL) : 0;
}

/* The message says which slot and why. */
static int plugin_fill(struct emf_runtime *rt, struct emf_plugin *p)
{
	int err = emf__slots_fill(p);

	if (err) {
		p->step_err = err;
		note_failure(rt, p);
	}
	return err;
}

/* After plugin_fill(): the plugin's slots hold its programs. */
static int plugin_attach(struct emf_runtime *rt, struct emf_plugin *p)
{
	const struct emf_plugin_hooks *h = p->desc->hooks;
	int err;

	capture_begin(p);
	err = p->desc->ops->attach(p->skel);
	emf__log_capture_end();
	if (!err)
		capture_pass(p);
	if (err) {
		set_error(rt, p, EMF_STEP_ATTACH, err < 0 ? err : -EINVAL, NULL);
		return p->step_err;
	}
	/* Programs whose target the host set first: their messages are their own. */
	err = emf__targets_attach(rt, p);
	if (err) {
		emf__attach_undo(p);
		return err;
	}
	err = emf__attach_declared(rt, p);
	if (err)
		return err;
	p->state = EMF_PLUGIN_ATTACHED;
	if (h && h->attach) {
		err = h->attach(p);
		if (err) {
			set_error(rt, p, EMF_STEP_ATTACH, err < 0 ? err : -EMF_ERRNO__HOOK,
				  " (its attach hook)");
			return p->step_err;
		}
	}
	return emf__attach_check_idle(rt, p);
}

/* ---- a few threads for the independent, slow parts ---------------------- */

enum job_kind { JOB_LOAD, JOB_DETACH, JOB_DESTROY };

struct job {
	struct emf_plugin **ps;
	size_t n;
	size_t next;
	enum job_kind kind;
};

static void *job_worker(void *arg)
{
	struct job *j = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->n) {
		struct emf_plugin *p = j->ps[i];

		switch (j->kind) {
		case JOB_LOAD:
			p->step_err = plugin_load(p);
			break;
		case JOB_DETACH:
			plugin_detach(p);
			break;
		case JOB_DESTROY:
			if (p->skel)
				p->desc->ops->destroy(p->skel);
			p->skel = NULL;
			break;
		}
	}
	return NULL;
}

static void run_jobs(struct emf_runtime *rt, struct emf_plugin **ps, size_t n, enum job_kind kind)
{
	pthread_t tids[EMF_JOBS_MAX];
	struct job j = { .ps = ps, .n = n, .kind = kind };
	size_t want = rt->jobs, started = 0;

	/*
	 * Loads use the CPU: one thread per CPU. Detaching mostly waits for the
	 * kernel (RCU grace periods of perf-event links): one thread per plugin.
	 */
	if (!want)
		want = kind == JOB_LOAD ? (size_t)sysconf(_SC_NPROCESSORS_ONLN) : n;

	if (want > n)
		want = n;
	if (want > EMF_JOBS_MAX)
		want = EMF_JOBS_MAX;
	/* The calling thread is one of the workers; a thread that fails to start is not needed. */
	while (started + 1 < want && !pthread_create(&tids[started], NULL, job_worker, &j))
		started++;
	job_worker(&j);
	while (started)
		pthread_join(tids[--started], NULL);
}

/* Plugins in @state, in lifecycle order (or reverse), into @ps; returns how many. */
static size_t select_state(struct emf_runtime *rt, enum emf_plugin_state state, bool reverse,
			   struct emf_plugin **ps)
{
	size_t i, n = 0;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[reverse ? rt->cnt - 1 - i : i];

		if (p->state == state)
			ps[n++] = p;
	}
	return n;
}

/* Detach and destroy plugins (all of them, or one): hooks in reverse order, kernel work in parallel. */
static void teardown(struct emf_runtime *rt, struct emf_plugin *only)
{
	struct emf_plugin **ps = calloc(rt->cnt ?: 1, sizeof(*ps));
	size_t i, n;

	if (!ps) {
		/* No memory for the list: the same work, one plugin at a time. */
		for (i = rt->cnt; i-- > 0;) {
			if (only && rt->plugins[i] != only)
				continue;
			plugin_detach_hook(rt->plugins[i]);
			plugin_detach(rt->plugins[i]);
			emf__reader_plugin_drain(rt, rt->plugins[i]);
			emf__reader_plugin_teardown(rt, rt->plugins[i]);
			plugin_destroy(rt->plugins[i]);
		}
		return;
	}
	if (only) {
		ps[0] = only;
		n = only->state == EMF_PLUGIN_ATTACHED;
	} else {
		n = select_state(rt, EMF_PLUGIN_ATTACHED, true, ps);
	}
	for (i = 0; i < n; i++)
		plugin_detach_hook(ps[i]);
	run_jobs(rt, ps, n, JOB_DETACH);
	/*
	 * Nothing is sent any more: deliver what the outputs still hold, then
	 * stop reading them.
	 */
	for (i = 0; i < n; i++)
		emf__reader_plugin_drain(rt, ps[i]);
	if (only) {
		emf__reader_plugin_teardown(rt, only);
	} else {
		for (i = 0; i < rt->cnt; i++)
			emf__reader_plugin_teardown(rt, rt->plugins[i]);
	}
	if (only) {
		n = only->skel != NULL;
	} else {
		for (i = rt->cnt, n = 0; i-- > 0;)
			if (rt->plugins[i]->skel)
				ps[n++] = rt->plugins[i];
	}
	for (i = 0; i < n; i++) {
		const struct emf_plugin_hooks *h = ps[i]->desc->hooks;

		if (h && h->destroy && ps[i]->hooked)
			h->destroy(ps[i]);
		ps[i]->hooked = false;
	}
	run_jobs(rt, ps, n, JOB_DESTROY);
	for (i = 0; i < n; i++)
		plugin_destroy(ps[i]);
	free(ps);
	emf__slots_forget(rt, only);
}

/* ---- runtime-wide lifecycle --------------------------------------------- */

int emf_runtime__open(struct emf_runtime *rt)
{
	size_t i;
	int err;

	if (!rt)
		return emf_err(-EINVAL);
	if (rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	rt->errmsg[0] = '\0';
	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (p->state == EMF_PLUGIN_FAILED)
			p->state = EMF_PLUGIN_NEW;
		if (p->state != EMF_PLUGIN_NEW)
			continue;
		err = plugin_open(rt, p);
		if (!err)
			continue;
		p->state = EMF_PLUGIN_FAILED;
		if (fatal(rt, p)) {
			teardown(rt, NULL);
			return emf_err(err);
		}
	}
	return 0;
}

/* How many plugins got to @state; with keep-going, the others are marked failed. */
static size_t count_state(struct emf_runtime *rt, enum emf_plugin_state state)
{
	size_t i, n = 0;

	for (i = 0; i < rt->cnt; i++)
		n += rt->plugins[i]->state == state;
	return n;
}

/*
 * @step on every loaded plugin in priority order; one it fails for is undone and
 * marked failed, its error kept in *@err unless one is there. Returns true when that
 * failure stops the whole start.
 */
static bool each_loaded(struct emf_runtime *rt,
			int (*step)(struct emf_runtime *rt, struct emf_plugin *p), int *err)
{
	size_t i;

	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (p->state != EMF_PLUGIN_LOADED || !step(rt, p))
			continue;
		*err = *err ?: p->step_err;
		plugin_detach_hook(p);
		plugin_fail(p);
		if (fatal(rt, p))
			return true;
	}
	return false;
}

int emf_runtime__start(struct emf_runtime *rt)
{
	struct emf_plugin **ps;
	bool stop = false;
	size_t i, n;
	int err;

	if (!rt)
		return emf_err(-EINVAL);
	if (rt->running)
		return emf_err(-EMF_ERRNO__STATE);
	err = emf_runtime__open(rt);
	if (err)
		return err;
	ps = calloc(rt->cnt ?: 1, sizeof(*ps));
	if (!ps) {
		err = -ENOMEM;
		goto err_teardown;
	}

	/* Shared slots and maps, one plugin at a time: everything in place before any loads. */
	for (i = 0; i < rt->cnt; i++) {
		struct emf_plugin *p = rt->plugins[i];

		if (p->state != EMF_PLUGIN_OPENED)
			continue;
		/* After the create hooks: a program they turned off takes no part. */
		p->step_err = emf__targets_prepare(rt, p) ?: emf__slots_prepare(p);
		if (!p->step_err)
			continue;
		note_failure(rt, p);
		err = err ?: p->step_err;
		plugin_fail(p);
		if (fatal(rt, p))
			goto err_free;
	}
	emf__kernel_btf_release(rt);

	/* Load: independent per plugin, the slowest step; report in priority order. */
	n = select_state(rt, EMF_PLUGIN_OPENED, false, ps);
	run_jobs(rt, ps, n, JOB_LOAD);
	for (i = 0; i < n; i++) {
		struct emf_plugin *p = ps[i];

		if (!p->step_err) {
			p->state = EMF_PLUGIN_LOADED;
			free(p->log_buf);
			p->log_buf = NULL;
			capture_pass(p);
			continue;
		}
		set_error(rt, p, EMF_STEP_LOAD, p->step_err, NULL);
		err = err ?: p->step_err;
		stop |= fatal(rt, p);
		plugin_fail(p);
	}
	if (stop)
		goto err_free;

	/*
	 * Every slot is filled before the first program attaches: a dispatcher
	 * of lower priority that attaches first must not see an empty slot.
	 * Then attach in priority order, one at a time: events start in that
	 * order.
	 */
	if (each_loaded(rt, plugin_fill, &err) || each_loaded(rt, plugin_attach, &err))
		goto err_free;
	emf__slots_unlock(rt);
	if (rt->keep_going && !count_state(rt, EMF_PLUGIN_ATTACHED) && rt->cnt) {
		snprintf(rt->errmsg, sizeof(rt->errmsg), "no plugin could start");
		pr_warn("runtime: %s\n", rt->errmsg);
		goto err_free;
	}
	err = emf__reader_setup(rt);
	if (err) {
		snprintf(rt->errmsg, sizeof(rt->errmsg), "failed to set up event readers: %s",
			 emf_strerror(err));
		pr_warn("runtime: %s\n", rt->errmsg);
		goto err_free;
	}
	/* Perf buffers and sampled maps may need the drain timer from the start. */
	emf__loop_rearm(rt);
	free(ps);
	rt->running = true;
	return 0;

err_free:
	emf__kernel_btf_release(rt);
	free(ps);
err_teardown:
	teardown(rt, NULL);
	return emf_err(err ?: -ENOENT);
}

void emf_runtime__stop(struct emf_runtime *rt)
{
	if (!rt)
		return;
	teardown(rt, NULL);
	emf__reader_teardown(rt);
	rt->running = false;
}

/* ---- one plugin while the others run ------------------------------------ */

int emf_runtime__start_plugin(struct emf_runtime *rt, struct emf_plugin *p)
{
	int err;

	if (!rt || !p || p->rt != rt)
		return emf_err(-EINVAL);
	if (!rt->running) {
		pr_warn("runtime: cannot start plugin '%s' alone: the runtime is not running; use emf_runtime__start()\n",
			p->desc->name);
		return emf_err(-EMF_ERRNO__STATE);
	}
	if (p->state == EMF_PLUGIN_ATTACHED)
		return 0;
	if (p->state == EMF_PLUGIN_FAILED)
		p->state = EMF_PLUGIN_NEW;
	if (p->state != EMF_PLUGIN_NEW)
		return emf_err(-EMF_ERRNO__STATE);
	err = plugin_open(rt, p);
	if (err) {
		p->state = EMF_PLUGIN_FAILED;
		return emf_err(err);
	}
	err = emf__targets_prepare(rt, p) ?: emf__slots_prepare(p);
	emf__kernel_btf_release(rt);
	if (err) {
		note_failure(rt, p);
		goto err_fail;
	}
	err = plugin_load(p);
	if (err) {
		set_error(rt, p, EMF_STEP_LOAD, err, NULL);
		err = p->step_err;
		goto err_fail;
	}
	p->state = EMF_PLUGIN_LOADED;
	err = plugin_fill(rt, p) ?: plugin_attach(rt, p);
	if (err)
		goto err_detach;
	err = emf__reader_plugin_setup(rt, p);
	if (err) {
		snprintf(rt->errmsg, sizeof(rt->errmsg), "plugin '%s': failed to read its events: %s",
			 p->desc->name, emf_strerror(err));
		pr_warn("runtime: %s\n", rt->errmsg);
		goto err_detach;
	}
	emf__loop_rearm(rt);
	emf__slots_unlock(rt);
	pr_info("runtime: started plugin '%s'\n", p->desc->name);
	return 0;

err_detach:
	plugin_detach_hook(p);
err_fail:
	plugin_fail(p);
	emf__slots_unlock(rt);
	return emf_err(err);
}

int emf_runtime__stop_plugin(struct emf_runtime *rt, struct emf_plugin *p)
{
	if (!rt || !p || p->rt != rt)
		return emf_err(-EINVAL);
	teardown(rt, p);
	if (p->state == EMF_PLUGIN_FAILED)
		p->state = EMF_PLUGIN_NEW;
	pr_info("runtime: stopped plugin '%s'\n", p->desc->name);
	return 0;
}
