// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Plugin directories written for plain libbpf, taken unchanged through
 * emf-codegen (tests/codegen/realworld/): a libbpf-bootstrap style ring
 * buffer tool, a libbpf-tools style perf buffer tool with a helper header
 * and a map-value struct in its event header, and one in the shape of
 * libbpf-tools' execsnoop, whose event struct is also a map's value. All are
 * loaded into the real kernel through the SDK and their events checked field
 * by field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "ktest.h"

#include "bootstrap.emf.h"
#include "execheap.emf.h"
#include "fsopen.emf.h"

static pid_t child;
static char path[64];
static int exec_seen, exit_seen, open_seen, execve_seen;

#define CHECK KTEST_CHECK

static int on_event(void *ctx, const struct emf_event *ev)
{
	const struct bootstrap__event *b;
	const struct fsopen__event *f;
	const struct execheap__event *x;

	if ((b = ev->type == &bootstrap__event__type ? bootstrap__event__from(ev->data, ev->size) :
						       NULL) &&
	    b->pid == child) {
		if (!b->exit_event) {
			CHECK(b->ppid == getpid(), "bootstrap exec: ppid %d, want %d\n", b->ppid,
			      getpid());
			CHECK(!strcmp(b->filename, "/bin/sh"), "bootstrap exec: filename %.127s\n",
			      b->filename);
			exec_seen++;
		} else {
			CHECK(b->exit_code == 3, "bootstrap exit: code %u, want 3\n", b->exit_code);
			exit_seen++;
		}
	}
	if ((f = ev->type == &fsopen__event__type ? fsopen__event__from(ev->data, ev->size) : NULL) &&
	    f->pid == getpid() && !strcmp(f->fname, path)) {
		CHECK(f->ret == -2, "fsopen: ret %d, want -2 (ENOENT)\n", f->ret);
		CHECK(f->flags == O_RDONLY, "fsopen: flags %d\n", f->flags);
		open_seen++;
	}
	if ((x = ev->type == &execheap__event__type ? execheap__event__from(ev->data, ev->size) :
						      NULL) &&
	    x->pid == child) {
		CHECK(x->retval == 0, "execheap: retval %d, want 0\n", x->retval);
		CHECK(x->ppid == getpid(), "execheap: ppid %d, want %d\n", x->ppid, getpid());
		CHECK(!strcmp(x->arg0, "sh") && !strcmp(x->comm, "sh"),
		      "execheap: arg0 '%.127s', comm '%.15s', want sh and sh\n", x->arg0, x->comm);
		execve_seen++;
	}
	return 0;
}

int main(void)
{
	struct emf_runtime *rt;
	int status, ret;
	time_t end;

	ret = ktest_begin();
	if (ret)
		return ret;
	rt = emf_runtime__new(&(struct emf_runtime_opts){ .sz = sizeof(struct emf_runtime_opts),
							   .event_cb = on_event });
	CHECK(rt && emf_runtime__add(rt, &bootstrap__plugin) && emf_runtime__add(rt, &fsopen__plugin) &&
		      emf_runtime__add(rt, &execheap__plugin),
	      "cannot add the plugins: %s\n", emf_strerror(errno));
	CHECK(!emf_runtime__start(rt), "start: %s\n", emf_runtime__last_error(rt));

	child = fork();
	if (!child) {
		/*
		 * argv[0] on the stack: a tracer cannot fault in the pages of the
		 * binary's own strings, which the child has not touched since fork.
		 */
		char arg0[] = "sh";

		execl("/bin/sh", arg0, "-c", "/bin/true; exit 3", (char *)NULL);
		_exit(127);
	}
	/* sh execs itself once, then true as its child: bootstrap sees sh's exec and exit. */
	snprintf(path, sizeof(path), "/nonexistent-emf-%d", getpid());
	CHECK(open(path, O_RDONLY) < 0, "%s exists\n", path);
	waitpid(child, &status, 0);
	for (end = time(NULL) + 5; time(NULL) < end && !(exec_seen && exit_seen && open_seen && execve_seen);)
		emf_runtime__poll(rt, 100);
	emf_runtime__destroy(rt);
	CHECK(exec_seen == 1, "bootstrap: %d exec events of the child, want 1\n", exec_seen);
	CHECK(exit_seen == 1, "bootstrap: %d exit events of the child, want 1\n", exit_seen);
	CHECK(open_seen == 1, "fsopen: %d open events of %s, want 1\n", open_seen, path);
	CHECK(execve_seen == 1, "execheap: %d execve events of the child, want 1\n", execve_seen);
	printf("PASS: bootstrap (ring buffer), fsopen and execheap (perf buffer) decoded unchanged\n");
	return 0;
}
