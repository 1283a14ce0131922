# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
lib_LIBRARIES += sdk/libemfsdk.a

sdk_libemfsdk_a_SOURCES = \
	sdk/src/attach.c \
	sdk/src/bus.c \
	sdk/src/bus_exec.c \
	sdk/src/bus_inline.h \
	sdk/src/bus_internal.h \
	sdk/src/bus_msg.c \
	sdk/src/bus_req.c \
	sdk/src/bus_svc.c \
	sdk/src/bus_topic.c \
	sdk/src/cli.c \
	sdk/src/ctl_client.c \
	sdk/src/ctl_err.c \
	sdk/src/ctl_internal.h \
	sdk/src/ctl_maps.c \
	sdk/src/ctl_proto.c \
	sdk/src/ctl_server.c \
	sdk/src/ctl_services.c \
	sdk/src/errno.c \
	sdk/src/event.c \
	sdk/src/event_json.c \
	sdk/src/explain.c \
	sdk/src/fmt.c \
	sdk/src/fields.c \
	sdk/src/fields_internal.h \
	sdk/src/filter.c \
	sdk/src/fmt_sem.c \
	sdk/src/json.c \
	sdk/src/stack.c \
	sdk/src/stack_internal.h \
	sdk/src/ustack.c \
	sdk/src/kernel.c \
	sdk/src/kernel.h \
	sdk/src/lifecycle.c \
	sdk/src/dynamic.c \
	sdk/src/log.c \
	sdk/src/loop.c \
	sdk/src/log_internal.h \
	sdk/src/maps.c \
	sdk/src/mapsize.c \
	sdk/src/targets.c \
	sdk/src/metrics.c \
	sdk/src/metrics_expo.c \
	sdk/src/metrics_http.c \
	sdk/src/metrics_internal.h \
	sdk/src/metrics_rule.c \
	sdk/src/options.c \
	sdk/src/order.c \
	sdk/src/opts_internal.h \
	sdk/src/reader.c \
	sdk/src/registry.c \
	sdk/src/plugin.c \
	sdk/src/runtime.c \
	sdk/src/runtime_internal.h \
	sdk/src/slots.c \
	sdk/src/slots_end.c \
	sdk/src/slots_rec.c \
	sdk/src/slots_internal.h \
	sdk/src/render.c \
	sdk/src/render_internal.h \
	sdk/src/iter.c \
	sdk/src/sample.c \
	sdk/src/sections.c \
	sdk/src/share.c \
	sdk/src/target_set.c \
	sdk/src/trusted.c \
	sdk/src/trusted_internal.h \
	sdk/src/watch.c \
	sdk/src/variants.c \
	sdk/src/variants_internal.h \
	$(NULL)
sdk_libemfsdk_a_CFLAGS = $(AM_CFLAGS) $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
sdk_libemfsdk_a_CPPFLAGS = $(AM_CPPFLAGS) -Isdk/src

# Syscall names by number, complete for this system: its <asm/unistd.h>, at build time.
nodist_sdk_libemfsdk_a_SOURCES = sdk/src/syscall_names.h
BUILT_SOURCES += sdk/src/syscall_names.h
CLEANFILES += sdk/src/syscall_names.h
sdk/src/syscall_names.h: Makefile
	$(AM_V_GEN)$(MKDIR_P) sdk/src && \
	{ echo '/* Generated from <asm/unistd.h> at build time - do not edit. */'; \
	  echo 'static const char *const emf__syscall_names[] = {'; \
	  echo '#include <asm/unistd.h>' | $(CPP) -dM - | \
	    LC_ALL=C sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\2 \1/p' | \
	    LC_ALL=C sort -n | awk '{ printf "\t[%s] = \"%s\",\n", $$1, $$2 }'; \
	  echo '};'; } > $@.tmp && \
	test "$$(grep -c '\] = ' $@.tmp)" -gt 100 && mv $@.tmp $@ || \
	{ rm -f $@.tmp; echo "sdk/src/syscall_names.h: no syscall numbers in <asm/unistd.h>; is linux-libc-dev installed?" >&2; exit 1; }

emfincludedir = $(includedir)/emf
emfinclude_HEADERS = \
	sdk/include/emf/bus.h \
	sdk/include/emf/cli.h \
	sdk/include/emf/ctl.h \
	sdk/include/emf/attach.bpf.h \
	sdk/include/emf/emf.bpf.h \
	sdk/include/emf/errno.h \
	sdk/include/emf/event.h \
	sdk/include/emf/filter.h \
	sdk/include/emf/fmt.h \
	sdk/include/emf/json.h \
	sdk/include/emf/log.h \
	sdk/include/emf/metrics.h \
	sdk/include/emf/opts.h \
	sdk/include/emf/plugin.h \
	sdk/include/emf/ringbuf.bpf.h \
	sdk/include/emf/runtime.h \
	sdk/include/emf/shim.bpf.h \
	sdk/include/emf/slots.bpf.h \
	sdk/include/emf/slots.h \
	sdk/include/emf/types.h \
	$(NULL)
