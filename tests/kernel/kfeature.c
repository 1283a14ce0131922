// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Feature probes of the kernel tests: see kfeature.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kfeature.h"

/* r0 = 0; exit: accepted by every program type probed here. */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int btf_func_id(const char *name, char *why, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id, err;

	if (!btf) {
		err = -errno;
		snprintf(why, len, "kernel BTF cannot be read: %s", strerror(-err));
		return err;
	}
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0)
		snprintf(why, len, "kernel BTF has no function %s", name);
	return id < 0 ? -ENOENT : id;
}

/* A BTF-attached program (fentry or LSM): load, then attach through a link. */
static int probe_btf_prog(const char *kind, enum bpf_prog_type type,
			  enum bpf_attach_type attach, const char *func, const char *target,
			  char *why, size_t len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);
	int id, prog, link, err;

	id = btf_func_id(func, why, len);
	if (id < 0)
		return id;
	opts.attach_btf_id = id;
	prog = bpf_prog_load(type, "emf_probe", "GPL", ret0, 2, &opts);
	if (prog < 0) {
		err = -errno;
		snprintf(why, len, "this kernel refuses %s programs: loading one for %s failed: %s",
			 kind, target, strerror(-err));
		return err;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	err = link < 0 ? -errno : 0;
	if (err)
		snprintf(why, len, "this kernel refuses to attach %s programs: attaching one to %s failed: %s",
			 kind, target, strerror(-err));
	else
		close(link);
	close(prog);
	return err;
}

static int read_int(const char *path, int *v)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%d", v);
	fclose(f);
	return n == 1 ? 0 : -EINVAL;
}

/* A kprobe through the perf kprobe PMU, the way libbpf attaches one. */
static int probe_kprobe(const char *func, char *why, size_t len)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type, prog, pfd, err;

	err = read_int("/sys/bus/event_source/devices/kprobe/type", &type);
	if (err) {
		snprintf(why, len, "this kernel has no kprobes (no /sys/bus/event_source/devices/kprobe: CONFIG_KPROBES is off)");
		return -EOPNOTSUPP;
	}
	attr.type = type;
	attr.config1 = (unsigned long)func; /* kprobe_func */
	attr.config2 = 0; /* probe_offset */
	pfd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		snprintf(why, len, "this kernel refuses a kprobe on %s: %s", func, strerror(-err));
		return err;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "emf_probe", "GPL", ret0, 2, NULL);
	if (prog < 0) {
		err = -errno;
		snprintf(why, len, "this kernel refuses kprobe programs: loading one failed: %s",
			 strerror(-err));
		close(pfd);
		return err;
	}
	err = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) ? -errno : 0;
	if (err)
		snprintf(why, len, "this kernel refuses to attach kprobe programs: attaching one to %s failed: %s",
			 func, strerror(-err));
	close(prog);
	close(pfd);
	return err;
}

int kfeature_probe(const char *kind, const char *target, char *why, size_t len)
{
	char func[128];

	why[0] = '\0';
	if (!strcmp(kind, "kprobe"))
		return probe_kprobe(target, why, len);
	if (!strcmp(kind, "fentry"))
		return probe_btf_prog(kind, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, target, target,
				      why, len);
	if (!strcmp(kind, "lsm")) {
		snprintf(func, sizeof(func), "bpf_lsm_%s", target);
		return probe_btf_prog("BPF LSM", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, func, target, why,
				      len);
	}
	snprintf(why, len, "unknown program kind %s", kind);
	return -EINVAL;
}
