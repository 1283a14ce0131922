// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attachments the skeleton cannot make, and programs that got none.
 *
 * bpf_object__attach_skeleton() attaches what libbpf knows from the section
 * name alone and silently skips the rest: a SEC("tc"), SEC("cgroup_skb/...")
 * or bare SEC("uprobe") program loads and then does nothing. A program may
 * declare its target (EMF_ATTACH_*() of <emf/attach.bpf.h>, a BTF decl tag
 * "emf.attach:KIND:ARGS" on the function); the runtime then makes the
 * attachment with the libbpf call of its kind (through the kernel seam,
 * kernel.h) and undoes it on detach.
 * A struct_ops map (SEC(".struct_ops"), a TCP congestion control for one)
 * is registered with the kernel (bpf_map__attach_struct_ops()) and
 * unregistered on detach, unless the plugin's own attach hook does it.
 * Every loaded program that still got nothing is reported with what would
 * attach it, as a warning, or as the failure of its plugin's attach step when
 * the host asked for that (idle_fails of the runtime's options).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>

#include "kernel.h"
#include "log_internal.h"
#include "runtime_internal.h"

/*
 * The links bpf_object__attach_skeleton() made. Every skeleton bpftool
 * generates starts with its struct bpf_object_skeleton pointer, the one the
 * generated attach and detach functions pass to libbpf; only a plugin with a
 * libbpf object has one, and it names that object.
 */
static struct bpf_link *skel_link(const struct emf_plugin *p, const struct bpf_program *prog)
{
	struct bpf_object *obj = emf_plugin__object(p);
	const struct bpf_object_skeleton *s =
		obj && p->skel ? *(struct bpf_object_skeleton **)p->skel : NULL;
	int i;

	if (!s || !s->obj || *s->obj != obj)
		return NULL;
	for (i = 0; i < s->prog_cnt; i++)
		if (*s->progs[i].prog == prog)
			return *s->progs[i].link;
	return NULL;
}

/* TCX attach types (Linux 6.6), which libbpf 1.1's headers do not name. */
#define EMF_BPF_TCX_INGRESS 46
#define EMF_BPF_TCX_EGRESS 47

#define TAG_ATTACH "emf.attach:"
#define ARGS_MAX 4

/*
 * One attachment the runtime made for a declaration: a link, a raw link fd, a
 * socket, a tc filter or a program attached to a sockmap.
 */
struct emf_attachment {
	const struct bpf_program *prog;
	struct bpf_link *link; /* also a registered struct_ops map's, with prog NULL */
	int fd; /* a TCX link or the packet socket of a socket filter, -1 otherwise */
	int map_fd; /* the sockmap the program is attached to, -1 otherwise */
	enum bpf_attach_type map_type; /* and how */
	bool tc; /* a tc filter through netlink */
	bool qdisc_ours; /* and the clsact qdisc was made for it */
	struct bpf_tc_hook hook;
	struct bpf_tc_opts tc_opts;
};

/* A declaration of @p's program: its kind and the option names (or numbers) it gives. */
struct decl {
	struct bpf_program *prog;
	char kind[16];
	char *args[ARGS_MAX];
	int n_args;
	char buf[256];
};

/* Did a declaration account for @prog (attached, or reported as waiting for an option)? */
static bool declared(const struct emf_plugin *p, const struct bpf_program *prog)
{
	size_t i;

	for (i = 0; i < p->n_atts; i++)
		if (p->atts[i].prog == prog)
			return true;
	return false;
}

static struct emf_attachment *add_att(struct emf_plugin *p, const struct bpf_program *prog)
{
	struct emf_attachment *a = realloc(p->atts, (p->n_atts + 1) * sizeof(*a));

	if (!a)
		return NULL;
	p->atts = a;
	a = &p->atts[p->n_atts++];
	memset(a, 0, sizeof(*a));
	a->prog = prog;
	a->fd = -1;
	a->map_fd = -1;
	return a;
}

void emf__attach_undo(struct emf_plugin *p)
{
	const struct emf__kernel_ops *k = p->rt->kernel;

	while (p->n_atts) {
		struct emf_attachment *a = &p->atts[--p->n_atts];

		if (a->link)
			k->link_destroy(a->link);
		if (a->fd >= 0)
			close(a->fd);
		if (a->map_fd >= 0)
			k->prog_detach(k->prog_fd(a->prog), a->map_fd, a->map_type);
		if (a->tc) {
			a->tc_opts.prog_fd = a->tc_opts.prog_id = a->tc_opts.flags = 0;
			k->tc_detach(&a->hook, &a->tc_opts);
		}
		if (a->qdisc_ours) {
			a->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			k->tc_hook_destroy(&a->hook);
		}
	}
	free(p->atts);
	p->atts = NULL;
	emf__iters_free(p);
}

static int fail(struct emf_runtime *rt, struct emf_plugin *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct emf_runtime *rt, struct emf_plugin *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = emf__plugin_failv(rt, p, err, "attach", fmt, ap);
	va_end(ap);
	return err;
}

/*
 * The value of option @name as text (a char array, or an integer in
 * decimal), from the .rodata the SDK wrote before load. Returns 0, or
 * -ENOENT when the plugin has no such option.
 */
static int opt_text(struct emf_plugin *p, const char *name, char *buf, size_t n)
{
	const struct emf_option *o = emf_plugin__option(p, name);
	struct bpf_map *ro = bpf_object__find_map_by_name(emf_plugin__object(p), ".rodata");
	size_t len = 0;
	const char *data = ro ? bpf_map__initial_value(ro, &len) : NULL;
	long long v = 0;

	if (!o || !data || o->offset + o->size > len)
		return -ENOENT;
	data += o->offset;
	if (o->kind == EMF_FIELD_STRING || o->count) {
		snprintf(buf, n, "%.*s", (int)strnlen(data, o->size), data);
		return 0;
	}
	switch (o->size) {
	case 1:
		v = *(const signed char *)data;
		break;
	case 2:
		v = *(const short *)data;
		break;
	case 4:
		v = *(const int *)data;
		break;
	case 8:
		v = *(const long long *)data;
		break;
	default:
		return -ENOENT;
	}
	snprintf(buf, n, "%lld", v);
	return 0;
}

/* A number, or the name of an enumerator of the kernel's BTF (PERF_TYPE_SOFTWARE). */
static int number(const char *s, unsigned long long *v)
{
	struct btf *vmlinux;
	char *end;
	int i, n, err = -ENOENT;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (*s && !*end && !errno)
		return 0;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return -errno;
	n = btf__type_cnt(vmlinux);
	for (i = 1; i < n && err; i++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, i);
		const struct btf_enum *e;
		int j;

		if (!btf_is_enum(t))
			continue;
		for (j = 0, e = btf_enum(t); j < btf_vlen(t); j++, e++) {
			if (!strcmp(btf__name_by_offset(vmlinux, e->name_off), s)) {
				*v = (unsigned int)e->val;
				err = 0;
				break;
			}
		}
	}
	btf__free(vmlinux);
	return err;
}

/*
 * A declaration whose option is empty: nothing to attach to. Reported like
 * any program attached nowhere, with the option to set.
 */
static int idle_opt(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d,
		    const char *opt, const char *what)
{
	if (!add_att(p, d->prog))
		return -ENOMEM;
	snprintf(rt->errmsg, sizeof(rt->errmsg),
		 "plugin '%s': program %s (section %s) attaches to %s that option %s names, and it is empty, so it will never run: set %s.%s",
		 p->desc->name, bpf_program__name(d->prog), bpf_program__section_name(d->prog),
		 what, opt, p->desc->name, opt);
	pr_warn("runtime: %s%s\n", rt->idle_fails ? "" : "warning: ", rt->errmsg);
	if (!rt->idle_fails)
		return 0;
	p->step_err = -EMF_ERRNO__IDLE;
	free(p->last_error);
	p->last_error = strdup(rt->errmsg);
	return p->step_err;
}

/* Option @i of @d as text into @buf; an error names the declaration and the option. */
static int arg_text(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d, int i,
		    char *buf, size_t n)
{
	if (i >= d->n_args || !d->args[i][0] || opt_text(p, d->args[i], buf, n))
		return fail(rt, p, -EINVAL,
			    "program %s declares EMF_ATTACH_%s() with option '%s', which the plugin does not have; declare it as a const volatile global",
			    bpf_program__name(d->prog), d->kind, i < d->n_args ? d->args[i] : "");
	return 0;
}

/*
 * The interface option 0 of @d names, into @ifname (IF_NAMESIZE + 1 bytes) and
 * @ifindex. Returns 1 when there is one; 0 or -EMF_ERRNO__IDLE when the option
 * is empty (the program stays idle, see idle_opt()); or a negative errno.
 */
static int arg_iface(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d,
		     char *ifname, unsigned int *ifindex)
{
	int err = arg_text(rt, p, d, 0, ifname, IF_NAMESIZE + 1);

	if (err)
		return err;
	if (!ifname[0])
		return idle_opt(rt, p, d, d->args[0], "the interface");
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex) {
		err = -errno;
		return fail(rt, p, err, "program %s: no network interface '%s' (option %s.%s): %s",
			    bpf_program__name(d->prog), ifname, p->desc->name, d->args[0],
			    emf_strerror(err));
	}
	return 1;
}

static int attach_tc(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d,
		     bool egress)
{
	const char *dir = egress ? "egress" : "ingress";
	const struct emf__kernel_ops *k = rt->kernel;
	struct emf_attachment *a;
	char ifname[IF_NAMESIZE + 1];
	unsigned int ifindex;
	int err, fd;

	err = arg_iface(rt, p, d, ifname, &ifindex);
	if (err <= 0)
		return err;
	a = add_att(p, d->prog);
	if (!a)
		return -ENOMEM;
	/* TCX where the kernel has it; older kernels refuse the attach type with EINVAL. */
	fd = k->link_create(k->prog_fd(d->prog), ifindex,
			    egress ? EMF_BPF_TCX_EGRESS : EMF_BPF_TCX_INGRESS);
	if (fd >= 0) {
		a->fd = fd;
		pr_info("runtime: plugin '%s': program %s on tc %s of %s (TCX link)\n",
			p->desc->name, bpf_program__name(d->prog), dir, ifname);
		return 0;
	}
	a->hook.sz = sizeof(a->hook);
	a->hook.ifindex = ifindex;
	a->hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
	err = k->tc_hook_create(&a->hook);
	if (err == -ENOENT)
		return fail(rt, p, -EMF_ERRNO__NOFEAT,
			    "program %s: this kernel has neither TCX nor the clsact qdisc to attach to tc %s of %s (CONFIG_NET_SCH_INGRESS: modprobe sch_ingress)",
			    bpf_program__name(d->prog), dir, ifname);
	if (err && err != -EEXIST)
		return fail(rt, p, err, "program %s: failed to add a clsact qdisc to %s: %s",
			    bpf_program__name(d->prog), ifname, emf_strerror(err));
	a->qdisc_ours = !err;
	a->tc_opts.sz = sizeof(a->tc_opts);
	a->tc_opts.prog_fd = k->prog_fd(d->prog);
	err = k->tc_attach(&a->hook, &a->tc_opts);
	if (err)
		return fail(rt, p, err, "program %s: failed to attach to tc %s of %s: %s",
			    bpf_program__name(d->prog), dir, ifname, emf_strerror(err));
	a->tc = true;
	pr_info("runtime: plugin '%s': program %s on tc %s of %s (netlink, handle %u prio %u)\n",
		p->desc->name, bpf_program__name(d->prog), dir, ifname, a->tc_opts.handle,
		a->tc_opts.priority);
	return 0;
}

/* A link from a libbpf attach call, or its error in words. */
static int keep_link(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d,
		     struct bpf_link *link, int err, const char *where)
{
	struct emf_attachment *a;

	if (!link)
		return fail(rt, p, err, "program %s (section %s) to %s: %s",
			    bpf_program__name(d->prog), bpf_program__section_name(d->prog), where,
			    emf_strerror(err));
	a = add_att(p, d->prog);
	if (!a) {
		rt->kernel->link_destroy(link);
		return -ENOMEM;
	}
	a->link = link;
	pr_info("runtime: plugin '%s': program %s attached to %s\n", p->desc->name,
		bpf_program__name(d->prog), where);
	return 0;
}

static int attach_xdp(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d)
{
	struct emf__attach_to to = { .kind = EMF__AT_XDP };
	char ifname[IF_NAMESIZE + 1], where[64];
	struct bpf_link *link;
	unsigned int ifindex;
	int err = arg_iface(rt, p, d, ifname, &ifindex);

	if (err <= 0)
		return err;
	to.ifindex = (int)ifindex;
	link = rt->kernel->attach(d->prog, &to);
	err = link ? 0 : -errno;
	snprintf(where, sizeof(where), "XDP of %s", ifname);
	return keep_link(rt, p, d, link, err, where);
}

/* Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems. */
static void cgroup2_root(char *buf, size_t n)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;

	snprintf(buf, n, "/sys/fs/cgroup");
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, n, "%s", m->mnt_dir);
			break;
		}
	if (f)
		endmntent(f);
}

/* cgroup or netns: a directory or file the option names, or the default when it is empty. */
static int attach_fd_target(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d,
			    bool netns)
{
	struct emf__attach_to to = { .kind = netns ? EMF__AT_NETNS : EMF__AT_CGROUP };
	char path[PATH_MAX], where[PATH_MAX + 16];
	struct statfs st;
	struct bpf_link *link;
	int fd, err = 0;

	path[0] = '\0';
	if (d->n_args && d->args[0][0])
		err = arg_text(rt, p, d, 0, path, sizeof(path));
	if (err)
		return err;
	if (!path[0] && netns)
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	else if (!path[0])
		cgroup2_root(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | (netns ? 0 : O_DIRECTORY));
	if (fd < 0)
		return fail(rt, p, -errno, "program %s: cannot open %s %s%s%s: %s",
			    bpf_program__name(d->prog), netns ? "network namespace" : "cgroup",
			    path, d->n_args && d->args[0][0] ? " of option " : "",
			    d->n_args ? d->args[0] : "", emf_strerror(-errno));
	if (!netns && (fstatfs(fd, &st) || st.f_type != CGROUP2_SUPER_MAGIC)) {
		close(fd);
		return fail(rt, p, -EINVAL,
			    "program %s: %s is not a directory of the cgroup v2 hierarchy, which cgroup programs attach to; give one with %s.%s",
			    bpf_program__name(d->prog), path, p->desc->name,
			    d->n_args && d->args[0][0] ? d->args[0] : "OPTION");
	}
	to.fd = fd;
	link = rt->kernel->attach(d->prog, &to);
	err = link ? 0 : -errno;
	close(fd);
	snprintf(where, sizeof(where), "%s %s", netns ? "network namespace" : "cgroup", path);
	return keep_link(rt, p, d, link, err, where);
}

static int attach_perf(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .freq = 1 };
	struct emf__attach_to to = { .kind = EMF__AT_PERF_EVENT };
	unsigned long long type, config, freq;
	int cpu, ncpus, n = 0, err;
	char where[96];

	if (d->n_args != 3 || number(d->args[0], &type) || number(d->args[1], &config) ||
	    number(d->args[2], &freq) || !freq)
		return fail(rt, p, -EINVAL,
			    "program %s: EMF_ATTACH_PERF_EVENT(%s) needs a type, a config (numbers or kernel enumerator names) and a frequency > 0",
			    bpf_program__name(d->prog), d->buf);
	attr.type = type;
	attr.config = config;
	attr.sample_freq = freq;
	ncpus = rt->kernel->possible_cpus();
	if (ncpus < 0)
		return fail(rt, p, ncpus, "program %s: cannot count CPUs: %s",
			    bpf_program__name(d->prog), emf_strerror(ncpus));
	for (cpu = 0; cpu < ncpus; cpu++) {
		int pfd = rt->kernel->perf_event_open(&attr, cpu);
		struct bpf_link *link;

		if (pfd == -ENODEV)
			continue; /* an offline CPU */
		if (pfd < 0)
			return fail(
				rt, p, pfd,
				"program %s: failed to open perf event type %llu config %llu on CPU %d: %s",
				bpf_program__name(d->prog), type, config, cpu, emf_strerror(pfd));
		to.fd = pfd;
		link = rt->kernel->attach(d->prog, &to);
		err = link ? 0 : -errno;
		if (!link)
			close(pfd);
		snprintf(where, sizeof(where), "perf event %s/%s at %llu Hz on CPU %d", d->args[0],
			 d->args[1], freq, cpu);
		err = keep_link(rt, p, d, link, err, where);
		if (err)
			return err;
		n++;
	}
	return n ? 0 : fail(rt, p, -ENODEV, "program %s: no online CPU", bpf_program__name(d->prog));
}

static int attach_uprobe(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d,
			 bool usdt)
{
	char bin[PATH_MAX], func[256], name[256] = "", pidbuf[32], where[PATH_MAX + 600];
	int npid = usdt ? 3 : 2, err;
	struct emf__attach_to to = {};
	struct bpf_link *link;
	long pid;

	err = arg_text(rt, p, d, 0, bin, sizeof(bin)) ?: arg_text(rt, p, d, 1, func, sizeof(func));
	if (!err && usdt)
		err = arg_text(rt, p, d, 2, name, sizeof(name));
	if (!err)
		err = arg_text(rt, p, d, npid, pidbuf, sizeof(pidbuf));
	if (err)
		return err;
	if (!bin[0])
		return idle_opt(rt, p, d, d->args[0], "the binary");
	if (!func[0] || (usdt && !name[0]))
		return idle_opt(rt, p, d, d->args[func[0] ? 2 : 1], usdt ? "the USDT probe" : "the function");
	pid = strtol(pidbuf, NULL, 10);
	to.pid = pid ? pid : -1;
	to.binary = bin;
	if (usdt) {
		snprintf(where, sizeof(where), "USDT %s:%s of %s", func, name, bin);
		to.kind = EMF__AT_USDT;
		to.provider = func;
		to.probe = name;
	} else {
		to.kind = EMF__AT_UPROBE;
		to.func = func;
		to.retprobe = !strncmp(bpf_program__section_name(d->prog), "uretprobe", 9);
		snprintf(where, sizeof(where), "%s %s of %s", to.retprobe ? "uretprobe" : "uprobe",
			 func, bin);
	}
	link = rt->kernel->attach(d->prog, &to);
	err = link ? 0 : -errno;
	return keep_link(rt, p, d, link, err, where);
}

/*
 * A socket filter on a packet socket of the interface, as tcpdump makes one:
 * AF_PACKET sees every frame in and out of it. What the program returns is
 * how much of the frame the socket keeps; nothing reads the socket, so its
 * queue is kept at the kernel's minimum (a program that only looks returns 0).
 */
static int attach_socket(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d)
{
	char ifname[IF_NAMESIZE + 1];
	struct emf_attachment *a;
	unsigned int ifindex;
	int err, fd;

	err = arg_iface(rt, p, d, ifname, &ifindex);
	if (err <= 0)
		return err;
	fd = rt->kernel->socket_filter(rt->kernel->prog_fd(d->prog), ifindex);
	if (fd < 0)
		return fail(
			rt, p, fd,
			"program %s (section %s): failed to attach as socket filter on %s (a packet socket): %s",
			bpf_program__name(d->prog), bpf_program__section_name(d->prog), ifname,
			emf_strerror(fd));
	a = add_att(p, d->prog);
	if (!a) {
		close(fd);
		return -ENOMEM;
	}
	a->fd = fd;
	pr_info("runtime: plugin '%s': program %s attached as socket filter on %s (packet socket)\n",
		p->desc->name, bpf_program__name(d->prog), ifname);
	return 0;
}

/* sk_msg and sk_skb programs on the plugin's sockmap or sockhash @d names. */
static int attach_sockmap(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d)
{
	const char *name = d->n_args ? d->args[0] : "";
	struct bpf_map *map = bpf_object__find_map_by_name(emf_plugin__object(p), name);
	enum bpf_attach_type type = bpf_program__expected_attach_type(d->prog);
	const struct emf__kernel_ops *k = rt->kernel;
	struct emf_attachment *a;
	int err, map_fd;

	if (!map || (bpf_map__type(map) != BPF_MAP_TYPE_SOCKMAP &&
		     bpf_map__type(map) != BPF_MAP_TYPE_SOCKHASH))
		return fail(rt, p, -EINVAL,
			    "program %s declares EMF_ATTACH_SOCKMAP(%s), and the plugin has no sockmap or sockhash of that name; declare a BPF_MAP_TYPE_SOCKMAP or BPF_MAP_TYPE_SOCKHASH map",
			    bpf_program__name(d->prog), name);
	if (type != BPF_SK_MSG_VERDICT && type != BPF_SK_SKB_STREAM_PARSER &&
	    type != BPF_SK_SKB_STREAM_VERDICT && type != BPF_SK_SKB_VERDICT)
		return fail(rt, p, -EINVAL,
			    "program %s (section %s) declares EMF_ATTACH_SOCKMAP(%s), which takes sk_msg, sk_skb/stream_parser, sk_skb/stream_verdict or sk_skb/verdict programs",
			    bpf_program__name(d->prog), bpf_program__section_name(d->prog), name);
	map_fd = k->map_fd(map);
	err = k->prog_attach(k->prog_fd(d->prog), map_fd, type);
	if (err)
		return fail(rt, p, err, "program %s (section %s) to sockmap %s: %s",
			    bpf_program__name(d->prog), bpf_program__section_name(d->prog), name,
			    emf_strerror(err));
	a = add_att(p, d->prog);
	if (!a) {
		k->prog_detach(k->prog_fd(d->prog), map_fd, type);
		return -ENOMEM;
	}
	a->map_fd = map_fd;
	a->map_type = type;
	pr_info("runtime: plugin '%s': program %s attached to sockmap %s\n", p->desc->name,
		bpf_program__name(d->prog), name);
	return 0;
}

/*
 * An iterator run every @ms (a number, or an option): its records are events
 * of the plugin's only event output, or of the one whose map @d names.
 */
static int attach_iter(struct emf_runtime *rt, struct emf_plugin *p, const struct decl *d)
{
	const char *name = bpf_program__name(d->prog);
	unsigned long long ms = 0;
	char buf[32], why[256], *end;
	uint32_t out, i;
	int err;

	if (d->n_args && d->args[0][0] >= '0' && d->args[0][0] <= '9')
		snprintf(buf, sizeof(buf), "%s", d->args[0]);
	else if ((err = arg_text(rt, p, d, 0, buf, sizeof(buf))))
		return err;
	ms = strtoull(buf, &end, 0);
	if (!buf[0] || *end || ms > UINT_MAX)
		return fail(
			rt, p, -EINVAL,
			"program %s: EMF_ATTACH_ITER(%s) needs an interval in milliseconds (0: only when called)",
			name, d->n_args ? d->args[0] : "");
	for (i = 0, out = UINT32_MAX; i < p->desc->n_outputs; i++)
		if (d->n_args > 1 ? !strcmp(p->desc->outputs[i].map_name, d->args[1]) :
				    p->desc->n_outputs == 1)
			out = i;
	if (out == UINT32_MAX)
		return fail(rt, p, -EINVAL,
			    "program %s: EMF_ATTACH_ITER() delivers records as events of the plugin's event output, and %s; %s",
			    name,
			    d->n_args > 1 ? "the plugin has no event output of that map" :
			    p->desc->n_outputs ? "the plugin has several" : "the plugin has none",
			    p->desc->n_outputs ? "name its ring buffer: EMF_ATTACH_ITER_TO(ms, map)" :
			    "declare a ring buffer whose events are the records it writes");
	if (!add_att(p, d->prog))
		return -ENOMEM;
	err = emf__iter_add(p, d->prog, skel_link(p, d->prog), ms, out,
			    !strcmp(d->kind, "iter_lines"), why, sizeof(why));
	if (err)
		return fail(rt, p, err, "program %s (section %s): %s", name,
			    bpf_program__section_name(d->prog), why);
	if (ms)
		pr_info("runtime: plugin '%s': iterator %s runs every %llu ms, records of struct %s\n",
			p->desc->name, name, ms, p->desc->outputs[out].event->name);
	else
		pr_info("runtime: plugin '%s': iterator %s runs when called (emf.iter.run), records of struct %s\n",
			p->desc->name, name, p->desc->outputs[out].event->name);
	return 0;
}

/* The declaration on @prog's function, if any: "emf.attach:KIND:ARG:ARG...". */
static bool find_decl(struct emf_plugin *p, struct bpf_program *prog, struct decl *d)
{
	const char *tag, *fn;
	int cursor = 1;
	char *s, *colon;

	while ((tag = emf__share_tag(p, &cursor, TAG_ATTACH, &fn))) {
		if (strcmp(fn, bpf_program__name(prog)))
			continue;
		memset(d, 0, sizeof(*d));
		d->prog = prog;
		snprintf(d->buf, sizeof(d->buf), "%s", tag);
		s = d->buf;
		colon = strchr(s, ':');
		snprintf(d->kind, sizeof(d->kind), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
		for (s = colon; s && d->n_args < ARGS_MAX; s = colon) {
			*s++ = '\0';
			d->args[d->n_args++] = s;
			colon = strchr(s, ':');
		}
		return true;
	}
	return false;
}

/* Register every struct_ops map of @p, as the BPF code's SEC(".struct_ops") asks. */
static int attach_struct_ops(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct emf_attachment *a;
	struct bpf_link *link;
	struct bpf_map *m;
	int err;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_STRUCT_OPS || rt->kernel->map_fd(m) < 0)
			continue;
		link = rt->kernel->attach_struct_ops(m);
		if (!link) {
			err = -errno;
			return fail(rt, p, err, "failed to register struct_ops map %s: %s%s",
				    bpf_map__name(m), emf_strerror(err),
				    err == -EEXIST ? " (a struct_ops of that name is registered already)" : "");
		}
		a = add_att(p, NULL);
		if (!a) {
			rt->kernel->link_destroy(link);
			return -ENOMEM;
		}
		a->link = link;
		pr_info("runtime: plugin '%s': struct_ops map %s registered\n", p->desc->name,
			bpf_map__name(m));
	}
	return 0;
}

/* Did attach_struct_ops() register a map, which runs the struct_ops programs? */
static bool struct_ops_registered(const struct emf_plugin *p)
{
	size_t i;

	for (i = 0; i < p->n_atts; i++)
		if (!p->atts[i].prog)
			return true;
	return false;
}

int emf__attach_keep(struct emf_plugin *p, const struct bpf_program *prog, struct bpf_link *link)
{
	struct emf_attachment *a = add_att(p, prog);

	if (!a)
		return -ENOMEM;
	a->link = link;
	return 0;
}

int emf__attach_declared(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	struct bpf_program *prog = NULL;
	struct decl d;
	int err;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj) {
		/* libbpf attaches iterators by itself; the runtime runs them. */
		if (!bpf_program__autoload(prog) || !find_decl(p, prog, &d) ||
		    (skel_link(p, prog) && strncmp(d.kind, "iter", 4)))
			continue;
		if (!strcmp(d.kind, "tc_ingress") || !strcmp(d.kind, "tc_egress"))
			err = attach_tc(rt, p, &d, !strcmp(d.kind, "tc_egress"));
		else if (!strcmp(d.kind, "xdp"))
			err = attach_xdp(rt, p, &d);
		else if (!strcmp(d.kind, "cgroup") || !strcmp(d.kind, "netns"))
			err = attach_fd_target(rt, p, &d, !strcmp(d.kind, "netns"));
		else if (!strcmp(d.kind, "socket"))
			err = attach_socket(rt, p, &d);
		else if (!strcmp(d.kind, "sockmap"))
			err = attach_sockmap(rt, p, &d);
		else if (!strcmp(d.kind, "iter") || !strcmp(d.kind, "iter_lines"))
			err = attach_iter(rt, p, &d);
		else if (!strcmp(d.kind, "perf"))
			err = attach_perf(rt, p, &d);
		else if (!strcmp(d.kind, "uprobe") || !strcmp(d.kind, "usdt"))
			err = attach_uprobe(rt, p, &d, !strcmp(d.kind, "usdt"));
		else
			err = fail(rt, p, -EINVAL, "program %s declares unknown attach kind '%s'",
				   bpf_program__name(prog), d.kind);
		if (err)
			break;
	}
	if (!err && !(p->desc->hooks && p->desc->hooks->attach)) {
		prog = NULL;
		err = attach_struct_ops(rt, p);
	}
	if (err) {
		if (err == -ENOMEM && !p->step_err)
			fail(rt, p, err, "%s%s: %s", prog ? "program " : "struct_ops maps",
			     prog ? bpf_program__name(prog) : "", emf_strerror(err));
		p->step_err = err;
		emf__attach_undo(p);
	}
	return err;
}

/* Is the program with id @id in one of the object's prog arrays (a tail-call target)? */
static bool in_prog_array(const struct emf__kernel_ops *k, struct bpf_object *obj, __u32 id)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		__u32 key, val;
		int fd;

		if (bpf_map__type(m) != BPF_MAP_TYPE_PROG_ARRAY || (fd = k->map_fd(m)) < 0)
			continue;
		for (key = 0; key < bpf_map__max_entries(m); key++)
			if (!k->map_lookup(fd, &key, &val) && val == id)
				return true;
	}
	return false;
}

static __u32 prog_id(const struct emf__kernel_ops *k, const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (k->obj_info(k->prog_fd(prog), &info, &len))
		return 0;
	return info.id;
}

/* What would attach @prog, for the message about a program that got nothing. */
static const char *idle_hint(const struct bpf_program *prog)
{
	if (bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER)
		return "an iterator runs only when read; declare EMF_ATTACH_ITER(ms) or EMF_ATTACH_ITER_LINES(ms) of <emf/attach.bpf.h> to have the runtime read it every ms milliseconds and deliver what it writes as events";
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_STRUCT_OPS:
		return "struct_ops programs run once their SEC(\".struct_ops\") map is registered, which the SDK does for plugins without an attach hook; register it in the plugin's attach hook (bpf_map__attach_struct_ops())";
	case BPF_PROG_TYPE_KPROBE:
		return "a uprobe or USDT program needs a binary and a function or probe: name them in the section (uprobe/BINARY:FUNCTION) or declare EMF_ATTACH_UPROBE() or EMF_ATTACH_USDT() of <emf/attach.bpf.h>";
	default:
		return "its section names no target libbpf can attach to; declare one with EMF_ATTACH_*() of <emf/attach.bpf.h>, or attach it in the plugin's attach hook";
	}
}

int emf__attach_check_idle(struct emf_runtime *rt, struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	const struct emf_plugin_hooks *h = p->desc->hooks;
	struct bpf_program *prog;
	int idle = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj) {
		/* libbpf links an iterator, and then nothing reads it: it runs only when read. */
		bool iter = bpf_program__type(prog) == BPF_PROG_TYPE_TRACING &&
			    bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER;

		if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog) ||
		    (skel_link(p, prog) && !iter) || declared(p, prog))
			continue;
		if (in_prog_array(rt->kernel, obj, prog_id(rt->kernel, prog)))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_STRUCT_OPS && struct_ops_registered(p))
			continue;
		/* The plugin's own C code may attach it: say so, quietly. */
		if (h && h->attach) {
			pr_info("runtime: plugin '%s': program %s (section %s) got no attachment from the SDK; its attach hook is expected to attach it\n",
				p->desc->name, bpf_program__name(prog), bpf_program__section_name(prog));
			continue;
		}
		idle++;
		snprintf(rt->errmsg, sizeof(rt->errmsg),
			 "plugin '%s': program %s (section %s) is loaded but %s, so it will never run: %s",
			 p->desc->name, bpf_program__name(prog), bpf_program__section_name(prog),
			 iter ? "nothing reads its iterator" : "attached nowhere", idle_hint(prog));
		pr_warn("runtime: %s%s\n", rt->idle_fails ? "" : "warning: ", rt->errmsg);
	}
	if (idle && rt->idle_fails) {
		p->step_err = -EMF_ERRNO__IDLE;
		free(p->last_error);
		p->last_error = strdup(rt->errmsg);
		return p->step_err;
	}
	return 0;
}
