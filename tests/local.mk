# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Unit tests (CUnit, one binary per concept) and real-kernel tests (scripts that exit 77
# when this machine lacks a feature), all under automake's parallel harness.
EMF_TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS)
EMF_TEST_LIBS = sdk/libemfsdk.a $(CUNIT_LIBS) $(EMF_SDK_LIBS)

# The kernel matrix (EMF_VM_KERNELS, below) first: it takes the longest and needs no
# kernel-tests lock, so it runs beside the tests that wait for the lock.
if EMF_VM_TESTS
TESTS += $(EMF_VM_KERNELS)
endif

EMF_UNIT_TESTS = \
	tests/unit/test_agent_fields \
	tests/unit/test_attach \
	tests/unit/test_bus \
	tests/unit/test_codegen_types \
	tests/unit/test_ctl_maps \
	tests/unit/test_ctl_proto \
	tests/unit/test_decoder \
	tests/unit/test_explain \
	tests/unit/test_fields \
	tests/unit/test_filter \
	tests/unit/test_hist \
	tests/unit/test_lifecycle \
	tests/unit/test_metrics \
	tests/unit/test_options \
	tests/unit/test_order \
	tests/unit/test_reader \
	tests/unit/test_registry \
	tests/unit/test_samples \
	tests/unit/test_share \
	tests/unit/test_slot_rec \
	tests/unit/test_stack \
	tests/unit/test_trusted \
	tests/unit/test_variants \
	$(NULL)
check_PROGRAMS += $(EMF_UNIT_TESTS)
TESTS += $(EMF_UNIT_TESTS)

tests_unit_test_decoder_SOURCES = tests/unit/test_decoder.c
tests_unit_test_decoder_CPPFLAGS = $(AM_CPPFLAGS) -Iplugins/execsnoop
tests_unit_test_decoder_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_decoder_LDADD = plugins/execsnoop/execsnoop.emf.o $(EMF_TEST_LIBS)

tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CPPFLAGS = $(AM_CPPFLAGS) -Iplugins/execsnoop
tests_unit_test_metrics_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_metrics_LDADD = plugins/execsnoop/execsnoop.emf.o $(EMF_TEST_LIBS)

EMF_CODEGEN_TYPES = tests/codegen/alltypes/alltypes tests/codegen/anon/anon
tests_unit_test_codegen_types_SOURCES = tests/unit/test_codegen_types.c tests/unit/alltypes_fill.h
tests_unit_test_codegen_types_CPPFLAGS = $(AM_CPPFLAGS) $(addprefix -I,$(dir $(EMF_CODEGEN_TYPES)))
tests_unit_test_codegen_types_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_codegen_types_LDADD = $(addsuffix .emf.o,$(EMF_CODEGEN_TYPES)) $(EMF_TEST_LIBS)
tests_unit_test_agent_fields_SOURCES = tests/unit/test_agent_fields.c apps/agent_fields.c apps/agent.h
tests_unit_test_agent_fields_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/apps -Itests/codegen/alltypes
tests_unit_test_agent_fields_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_agent_fields_LDADD = tests/codegen/alltypes/alltypes.emf.o $(EMF_TEST_LIBS)
tests_unit_test_fields_SOURCES = tests/unit/test_fields.c tests/unit/alltypes_fill.h
tests_unit_test_fields_CPPFLAGS = $(AM_CPPFLAGS) $(addprefix -I,$(dir $(EMF_CODEGEN_TYPES)))
tests_unit_test_fields_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_fields_LDADD = $(addsuffix .emf.o,$(EMF_CODEGEN_TYPES)) $(EMF_TEST_LIBS)
BUILT_SOURCES += $(addsuffix .emf.c,$(EMF_CODEGEN_TYPES))
CLEANFILES += $(foreach s,.emf.c .emf.h .skel.h .bpf.o .emf.o,$(addsuffix $(s),$(EMF_CODEGEN_TYPES)))
EXTRA_DIST += $(addsuffix .bpf.c,$(EMF_CODEGEN_TYPES)) $(addsuffix .h,$(EMF_CODEGEN_TYPES))

tests_unit_test_bus_SOURCES = tests/unit/test_bus.c
tests_unit_test_bus_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_bus_LDADD = $(EMF_TEST_LIBS)

tests_unit_test_ctl_proto_SOURCES = tests/unit/test_ctl_proto.c
tests_unit_test_ctl_proto_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_ctl_proto_LDADD = $(EMF_TEST_LIBS)

# A bounded libFuzzer run on the frame parser, when clang can build one.
TESTS += tests/fuzz/test_fuzz_ctl.sh
EXTRA_DIST += tests/fuzz/test_fuzz_ctl.sh tests/fuzz/fuzz_ctl_frame.c

tests_unit_test_lifecycle_SOURCES = tests/unit/test_lifecycle.c
tests_unit_test_lifecycle_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_lifecycle_LDADD = $(EMF_TEST_LIBS)

tests_unit_test_explain_SOURCES = tests/unit/test_explain.c
tests_unit_test_explain_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/sdk/src
tests_unit_test_explain_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_explain_LDADD = $(EMF_TEST_LIBS)

tests_unit_test_filter_SOURCES = tests/unit/test_filter.c
tests_unit_test_filter_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_filter_LDADD = $(EMF_TEST_LIBS)

tests_unit_test_stack_SOURCES = tests/unit/test_stack.c
tests_unit_test_stack_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_stack_LDADD = $(EMF_TEST_LIBS)
tests_unit_test_order_SOURCES = tests/unit/test_order.c
tests_unit_test_order_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/sdk/src
tests_unit_test_order_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_order_LDADD = $(EMF_TEST_LIBS)

tests_unit_test_variants_SOURCES = tests/unit/test_variants.c $(EMF_FAKE_KERNEL)
tests_unit_test_variants_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/variant \
	-I$(srcdir)/tests/plugins/variant $(EMF_FAKE_CPPFLAGS)
tests_unit_test_variants_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_variants_LDADD = tests/plugins/variant/variant.emf.o $(EMF_TEST_LIBS)

tests_unit_test_registry_SOURCES = tests/unit/test_registry.c
tests_unit_test_registry_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_registry_LDFLAGS = $(AM_LDFLAGS) $(EMF_STATIC_PLUGINS)
tests_unit_test_registry_LDADD = $(EMF_TEST_LIBS)
EXTRA_tests_unit_test_registry_DEPENDENCIES = plugins/libemfplugins.a

tests_unit_test_trusted_SOURCES = tests/unit/test_trusted.c
tests_unit_test_trusted_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_trusted_LDADD = $(EMF_TEST_LIBS)

# The generated decoder header must exist before the decoder test compiles.
BUILT_SOURCES += plugins/execsnoop/execsnoop.emf.c

# Only emf_* symbols are global in libemfsdk.a.
TESTS += tests/unit/test_exports.sh
TESTS += tests/unit/test_layers.sh
EXTRA_DIST += tests/unit/test_exports.sh
# Every bundled plugin's "emf-agent PLUGIN --help" lists its options, described.
TESTS += tests/unit/test_plugin_help.sh
EXTRA_DIST += tests/unit/test_plugin_help.sh
# The kernel tests' clean-up runs in the test, never in a subshell of it.
TESTS += tests/unit/test_lib_cleanup.sh
EXTRA_DIST += tests/unit/test_lib_cleanup.sh
EXTRA_DIST += tests/unit/test_layers.sh

# emf-codegen's refusals of bad plugin directories, and its golden output.
TESTS += tests/codegen/test_codegen.sh
EXTRA_DIST += tests/codegen/test_codegen.sh tests/codegen/golden/alltypes.emf.h \
	tests/codegen/golden/alltypes.emf.c \
	$(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/tests/codegen/bad/*/*.[ch])) \
	tests/codegen/mapshapes/mapshapes.bpf.c tests/codegen/mapsub/mapsub.bpf.c

# Plugin directories in plain libbpf style, taken through emf-codegen unchanged.
EMF_REALWORLD = tests/codegen/realworld/bootstrap/bootstrap tests/codegen/realworld/fsopen/fsopen \
	tests/codegen/realworld/execheap/execheap
check_PROGRAMS += tests/kernel/test_realworld
TESTS += tests/kernel/test_realworld
tests_kernel_test_realworld_SOURCES = tests/kernel/test_realworld.c
tests_kernel_test_realworld_CPPFLAGS = $(AM_CPPFLAGS) $(addprefix -I,$(dir $(EMF_REALWORLD)))
tests_kernel_test_realworld_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_realworld_LDADD = $(addsuffix .emf.o,$(EMF_REALWORLD)) $(EMF_TEST_LIBS)
BUILT_SOURCES += $(addsuffix .emf.c,$(EMF_REALWORLD))
CLEANFILES += $(foreach s,.emf.c .emf.h .skel.h .bpf.o .emf.o,$(addsuffix $(s),$(EMF_REALWORLD)))
EXTRA_DIST += $(addsuffix .bpf.c,$(EMF_REALWORLD)) $(addsuffix .h,$(EMF_REALWORLD)) \
	tests/codegen/realworld/fsopen/maps.bpf.h

# Loss is never silent: exactly N events through a tiny ring, for a bundled plugin
# (opensnoop) and for an unchanged plain-libbpf program (ringflood, built as a dynamic
# plugin); delivered + reported lost == N, and the agent warns.
check_PROGRAMS += tests/kernel/loss_gen
tests_kernel_loss_gen_SOURCES = tests/kernel/loss_gen.c
# A USDT probe for test_attach (none without systemtap-sdt-dev's <sys/sdt.h>).
check_PROGRAMS += tests/kernel/usdt_gen
tests_kernel_usdt_gen_SOURCES = tests/kernel/usdt_gen.c
TESTS += tests/kernel/test_loss.sh
EXTRA_DIST += tests/kernel/test_loss.sh

# Rollback against the real kernel: a plugin failing at each step between working ones.
EMF_BAD = tests/plugins/badhook/badhook tests/plugins/badverify/badverify \
	tests/plugins/notp/notp tests/plugins/fentrytest/fentrytest
check_PROGRAMS += tests/kernel/test_rollback
TESTS += tests/kernel/test_rollback
tests_kernel_test_rollback_SOURCES = tests/kernel/test_rollback.c \
	tests/plugins/badhook/badhook_hooks.c tests/kernel/kfeature.c tests/kernel/kfeature.h
tests_kernel_test_rollback_CPPFLAGS = $(AM_CPPFLAGS) $(addprefix -I,$(dir $(EMF_BAD))) \
	-Itests/plugins/lc0 -Itests/plugins/lc1
tests_kernel_test_rollback_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_rollback_LDADD = $(addsuffix .emf.o,$(EMF_BAD)) tests/plugins/lc0/lc0.emf.o \
	tests/plugins/lc1/lc1.emf.o $(EMF_TEST_LIBS)
# The lifecycle benchmark and the rollback test include the lc plugins' generated headers.
BUILT_SOURCES += $(addsuffix .emf.c,$(EMF_BAD)) $(foreach i,0 1 2 3 4 5 6 7,tests/plugins/lc$(i)/lc$(i).emf.c)
CLEANFILES += $(foreach s,.emf.c .emf.h .skel.h .bpf.o .emf.o,$(addsuffix $(s),$(EMF_BAD)))
EXTRA_DIST += $(addsuffix .bpf.c,$(EMF_BAD)) $(addsuffix .h,$(EMF_BAD))

# Sampled maps read by the runtime from the real kernel.
check_PROGRAMS += tests/kernel/test_sample
TESTS += tests/kernel/test_sample
tests_kernel_test_sample_SOURCES = tests/kernel/test_sample.c
tests_kernel_test_sample_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/smp
tests_kernel_test_sample_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_sample_LDADD = tests/plugins/smp/smp.emf.o $(EMF_TEST_LIBS)
BUILT_SOURCES += tests/plugins/smp/smp.emf.c
CLEANFILES += $(addprefix tests/plugins/smp/smp,.emf.c .emf.h .skel.h .bpf.o .emf.o)
EXTRA_DIST += tests/plugins/smp/smp.bpf.c tests/plugins/smp/smp.h

# Program variants of one hook point: the runtime loads exactly one.
check_PROGRAMS += tests/kernel/test_variants
TESTS += tests/kernel/test_variants
tests_kernel_test_variants_SOURCES = tests/kernel/test_variants.c
tests_kernel_test_variants_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/variant \
	-I$(srcdir)/tests/plugins/variant
tests_kernel_test_variants_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_variants_LDADD = tests/plugins/variant/variant.emf.o $(EMF_TEST_LIBS)
BUILT_SOURCES += tests/plugins/variant/variant.emf.c
CLEANFILES += $(addprefix tests/plugins/variant/variant,.emf.c .emf.h .skel.h .bpf.o .emf.o)
EXTRA_DIST += tests/plugins/variant/variant.bpf.c tests/plugins/variant/variant.h

# Metrics of a sampled map of 100,000 keys.
check_PROGRAMS += tests/kernel/test_metrics_bigmap
TESTS += tests/kernel/test_metrics_bigmap
tests_kernel_test_metrics_bigmap_SOURCES = tests/kernel/test_metrics_bigmap.c
tests_kernel_test_metrics_bigmap_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/bigmap
tests_kernel_test_metrics_bigmap_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_metrics_bigmap_LDADD = tests/plugins/bigmap/bigmap.emf.o $(EMF_TEST_LIBS)
BUILT_SOURCES += tests/plugins/bigmap/bigmap.emf.c
CLEANFILES += $(addprefix tests/plugins/bigmap/bigmap,.emf.c .emf.h .skel.h .bpf.o .emf.o)
EXTRA_DIST += tests/plugins/bigmap/bigmap.bpf.c tests/plugins/bigmap/bigmap.h

# Dynamic plugins: test plugins built as shared objects.
EMF_DYN_PLUGINS = tests/plugins/dyntest/dyntest tests/plugins/fentrytest/fentrytest \
	tests/codegen/realworld/ringflood/ringflood tests/plugins/badverify/badverify \
	tests/codegen/realworld/tcpkt/tcpkt tests/codegen/realworld/usdtsnoop/usdtsnoop \
	tests/codegen/realworld/sleeplat/sleeplat \
	tests/plugins/minimal/minimal tests/plugins/attachkinds/attachkinds \
	tests/plugins/usersized/usersized tests/plugins/stacktest/stacktest \
	tests/plugins/structops/structops tests/plugins/iteridle/iteridle \
	tests/plugins/hookskip/hookskip tests/plugins/hooknone/hooknone \
	tests/plugins/hookalt/hookalt tests/codegen/realworld/fsslower/fsslower \
	tests/plugins/badsec/badsec tests/plugins/replace/execsnoop/execsnoop \
	$(EMF_REACH_PLUGINS)
check_DATA = $(addsuffix .emf.so,$(EMF_DYN_PLUGINS))
CLEANFILES += $(foreach s,.emf.c .emf.h .skel.h .bpf.o .emf.so,$(addsuffix $(s),$(EMF_DYN_PLUGINS)))
EXTRA_DIST += $(addsuffix .bpf.c,$(EMF_DYN_PLUGINS)) $(addsuffix .h,$(EMF_DYN_PLUGINS))
EXTRA_DIST += tests/codegen/realworld/sleeplat/bits.bpf.h tests/codegen/realworld/sleeplat/maps.bpf.h
# Shared objects emf-agent must refuse, built here so that the kernel tests need no
# compiler (the guests of tests/vm have none).
EMF_BAD_SOS = tests/plugins/badso/noentry.so tests/plugins/badso/abi.so \
	tests/plugins/badso/evil.so
check_DATA += $(EMF_BAD_SOS)
CLEANFILES += $(EMF_BAD_SOS)
EXTRA_DIST += $(EMF_BAD_SOS:.so=.c)
tests/plugins/badso/%.so: tests/plugins/badso/%.c $(emfinclude_HEADERS)
	$(AM_V_CCLD)$(MKDIR_P) $(@D) && \
	$(CC) $(AM_CPPFLAGS) $(CPPFLAGS) $(AM_CFLAGS) $(CFLAGS) -shared -fPIC -o $@ $<
# The replacement execsnoop linked without -Bsymbolic: the agent's own execsnoop would
# stand in for it, and the loader must refuse it.
check_DATA += tests/plugins/replace/execsnoop/execsnoop-nosym.so
CLEANFILES += tests/plugins/replace/execsnoop/execsnoop-nosym.so
tests/plugins/replace/execsnoop/execsnoop-nosym.so: tests/plugins/replace/execsnoop/execsnoop.emf.c $(emfinclude_HEADERS)
	$(AM_V_CCLD)$(COMPILE) -fPIC -shared $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS) -I$(@D) -o $@ $<
# dyntest built again at -O0: other code for the same plugin, for in-place reloads.
check_DATA += tests/plugins/dyntest/dyntest-O0.so
CLEANFILES += tests/plugins/dyntest/dyntest-O0.so
tests/plugins/dyntest/dyntest-O0.so: tests/plugins/dyntest/dyntest.emf.c $(emfinclude_HEADERS)
	$(AM_V_CCLD)$(COMPILE) -O0 -fPIC -shared -Wl,-Bsymbolic $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS) -I$(@D) -o $@ $<

# Kernel reach: a test plugin of each kind that only some kernels load (kprobe and
# kretprobe, fentry and fexit, BPF LSM), run through emf-agent where kfeature finds
# the kind, skipped with its reason elsewhere.
EMF_REACH_PLUGINS = tests/plugins/kprobetest/kprobetest tests/plugins/fexittest/fexittest \
	tests/plugins/lsmtest/lsmtest
EXTRA_DIST += tests/plugins/sleepev/sleepev.bpf.h tests/plugins/hookev/hookev.bpf.h

# test_dynamic_race.sh's attacker, renaming symlinks as fast as it can.
check_PROGRAMS += tests/kernel/race_swap
tests_kernel_race_swap_SOURCES = tests/kernel/race_swap.c
tests_kernel_race_swap_CFLAGS = $(EMF_TEST_CFLAGS)
# Feature probes for the shell tests: kfeature KIND TARGET says why KIND is refused.
check_PROGRAMS += tests/kernel/kfeature
tests_kernel_kfeature_SOURCES = tests/kernel/kfeature_main.c tests/kernel/kfeature.c \
	tests/kernel/kfeature.h
tests_kernel_kfeature_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_kfeature_LDADD = $(LIBBPF_LIBS) $(LIBELF_LIBS) $(ZLIB_LIBS)

EMF_KERNEL_TESTS = \
	tests/kernel/test_agent_duration.sh \
	tests/kernel/test_agent_wakeups.sh \
	tests/kernel/test_bus_agent.sh \
	tests/kernel/test_ctl.sh \
	tests/kernel/test_agent_exec.sh \
	tests/kernel/test_agent_fields.sh \
	tests/kernel/test_agent_filter.sh \
	tests/kernel/test_agent_plugin_cli.sh \
	tests/kernel/test_agent_time.sh \
	tests/kernel/test_agent_self.sh \
	tests/kernel/test_agent_tty.sh \
	tests/kernel/test_dynamic.sh \
	tests/kernel/test_dynamic_race.sh \
	tests/kernel/test_metrics_agent.sh \
	tests/kernel/test_metrics_prometheus.sh \
	tests/kernel/test_agent_stats.sh \
	tests/kernel/test_agent_all.sh \
	tests/kernel/test_agent_degrade.sh \
	tests/kernel/test_agent_idle.sh \
	tests/kernel/test_attach.sh \
	tests/kernel/test_attach_structops.sh \
	tests/kernel/test_sections.sh \
	tests/kernel/test_iter_call.sh \
	tests/kernel/test_replace.sh \
	tests/kernel/test_map_size.sh \
	tests/kernel/test_targets.sh \
	tests/kernel/test_targets_kprobe.sh \
	tests/kernel/test_agent_messages.sh \
	tests/kernel/test_plugin_bashreadline.sh \
	tests/kernel/test_plugin_exitsnoop.sh \
	tests/kernel/test_plugin_netcount.sh \
	tests/kernel/test_plugin_opensnoop.sh \
	tests/kernel/test_plugin_sigsnoop.sh \
	tests/kernel/test_plugin_syscount.sh \
	tests/kernel/test_plugin_tcpstates.sh \
	tests/kernel/test_realworld_hist.sh \
	tests/kernel/test_pins.sh \
	tests/kernel/test_reach_kprobe.sh \
	tests/kernel/test_reach_fentry.sh \
	tests/kernel/test_reach_lsm.sh \
	tests/kernel/test_stack.sh \
	$(NULL)
TESTS += $(EMF_KERNEL_TESTS)
EXTRA_DIST += tests/kernel/lib.sh tests/kernel/ktest.h tests/kernel/reach.sh $(EMF_KERNEL_TESTS)
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir top_srcdir;
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(BASH)

# Benchmarks: built and run by "make bench", never by "make check". The shell ones
# compare whole tools (emf-agent, libbpf-tools, bpftrace); the storm's generator is
# the loss test's.
EMF_BENCH_SHELL = tests/bench/bench_idle.sh tests/bench/bench_e2e.sh
EMF_BENCH_DEPS = tests/kernel/loss_gen apps/emf-agent
EXTRA_DIST += $(EMF_BENCH_SHELL) tests/bench/benchlib.sh
EMF_BENCHES += tests/bench/bench_pipeline
EXTRA_PROGRAMS = $(EMF_BENCHES)
CLEANFILES += $(EMF_BENCHES)
EMF_LC = $(foreach i,0 1 2 3 4 5 6 7,tests/plugins/lc$(i)/lc$(i))
EMF_BENCHES += tests/bench/bench_lifecycle
tests_bench_bench_lifecycle_SOURCES = tests/bench/bench_lifecycle.c
tests_bench_bench_lifecycle_CPPFLAGS = $(AM_CPPFLAGS) $(addprefix -I,$(dir $(EMF_LC)))
tests_bench_bench_lifecycle_CFLAGS = $(EMF_TEST_CFLAGS)
tests_bench_bench_lifecycle_LDADD = $(addsuffix .emf.o,$(EMF_LC)) $(EMF_TEST_LIBS)
EXTRA_tests_bench_bench_lifecycle_DEPENDENCIES = $(addsuffix .emf.o,$(EMF_LC))
$(addsuffix .emf.c,$(EMF_LC)): tests/plugins/lcbody/lcbody.h
CLEANFILES += $(foreach s,.emf.c .emf.h .skel.h .bpf.o .emf.o,$(addsuffix $(s),$(EMF_LC)))
EXTRA_DIST += $(addsuffix .bpf.c,$(EMF_LC)) $(addsuffix .h,$(EMF_LC)) tests/plugins/lcbody/lcbody.h

# The bus benchmark compares calls with D-Bus when libdbus-1-dev and dbus are installed.
EMF_BENCHES += tests/bench/bench_bus
tests_bench_bench_bus_SOURCES = tests/bench/bench_bus.c
tests_bench_bench_bus_CFLAGS = $(EMF_TEST_CFLAGS) $(DBUS_CFLAGS)
tests_bench_bench_bus_LDADD = sdk/libemfsdk.a $(EMF_SDK_LIBS) $(DBUS_LIBS)
# Set in both branches: a per-target CPPFLAGS defined only under a condition drops
# AM_CPPFLAGS (and <emf/bus.h>) from the build without D-Bus.
if HAVE_DBUS
EMF_BENCH_DBUS_CPPFLAGS = -DHAVE_DBUS
else
EMF_BENCH_DBUS_CPPFLAGS =
endif
tests_bench_bench_bus_CPPFLAGS = $(AM_CPPFLAGS) $(EMF_BENCH_DBUS_CPPFLAGS)

EMF_BENCHES += tests/bench/bench_decode
tests_bench_bench_decode_SOURCES = tests/bench/bench_decode.c
tests_bench_bench_decode_CPPFLAGS = $(AM_CPPFLAGS) -Iplugins/execsnoop
tests_bench_bench_decode_CFLAGS = $(EMF_TEST_CFLAGS) -O2
tests_bench_bench_decode_LDADD = plugins/execsnoop/execsnoop.emf.o $(EMF_TEST_LIBS)
tests_bench_bench_pipeline_SOURCES = tests/bench/bench_pipeline.c
tests_bench_bench_pipeline_CPPFLAGS = $(AM_CPPFLAGS) -Iplugins/execsnoop
tests_bench_bench_pipeline_CFLAGS = $(EMF_TEST_CFLAGS)
tests_bench_bench_pipeline_LDADD = plugins/execsnoop/execsnoop.emf.o $(EMF_TEST_LIBS)

# Event pipeline: the evgen test plugin (tests only, never in emf-agent), its kernel test
# and the ring buffer benchmark.
EMF_EVGEN = tests/plugins/evgen/evgen
BUILT_SOURCES += $(EMF_EVGEN).emf.c
CLEANFILES += $(addprefix $(EMF_EVGEN),.emf.c .emf.h .skel.h .bpf.o .emf.o)
EXTRA_DIST += $(EMF_EVGEN).bpf.c $(EMF_EVGEN).h
EMF_EVGEN_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/evgen -I$(srcdir)/tests/plugins/evgen

# The reader, the sampled maps, the slot records, emf.maps and the shared slots and maps
# on a fake kernel (no root).
EMF_FAKE_KERNEL = tests/unit/fake_kernel.c tests/unit/fake_kernel.h
EMF_FAKE_CPPFLAGS = -I$(srcdir)/sdk/src -I$(srcdir)/tests/unit
tests_unit_test_reader_SOURCES = tests/unit/test_reader.c $(EMF_FAKE_KERNEL)
tests_unit_test_reader_CPPFLAGS = $(EMF_EVGEN_CPPFLAGS) $(EMF_FAKE_CPPFLAGS)
tests_unit_test_reader_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_reader_LDADD = $(EMF_EVGEN).emf.o $(EMF_TEST_LIBS)
tests_unit_test_options_SOURCES = tests/unit/test_options.c $(EMF_FAKE_KERNEL)
tests_unit_test_options_CPPFLAGS = $(AM_CPPFLAGS) -Itests/codegen/alltypes -Iplugins/execsnoop \
	$(EMF_FAKE_CPPFLAGS)
tests_unit_test_options_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_options_LDADD = tests/codegen/alltypes/alltypes.emf.o \
	plugins/execsnoop/execsnoop.emf.o $(EMF_TEST_LIBS)
tests_unit_test_slot_rec_SOURCES = tests/unit/test_slot_rec.c $(EMF_FAKE_KERNEL)
tests_unit_test_slot_rec_CPPFLAGS = $(AM_CPPFLAGS) $(EMF_FAKE_CPPFLAGS)
tests_unit_test_slot_rec_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_slot_rec_LDADD = $(EMF_TEST_LIBS)
tests_unit_test_samples_SOURCES = tests/unit/test_samples.c $(EMF_FAKE_KERNEL)
tests_unit_test_samples_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/smp $(EMF_FAKE_CPPFLAGS)
tests_unit_test_samples_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_samples_LDADD = tests/plugins/smp/smp.emf.o $(EMF_TEST_LIBS)
# emf.maps typed from BTF, and the shared slots and maps under a pin root in /tmp.
tests_unit_test_ctl_maps_SOURCES = tests/unit/test_ctl_maps.c $(EMF_FAKE_KERNEL)
tests_unit_test_ctl_maps_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/mapctl \
	-I$(srcdir)/tests/plugins/mapctl $(EMF_FAKE_CPPFLAGS)
tests_unit_test_ctl_maps_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_ctl_maps_LDADD = tests/plugins/mapctl/mapctl.emf.o $(EMF_TEST_LIBS)
BUILT_SOURCES += tests/plugins/mapctl/mapctl.emf.c
CLEANFILES += $(addprefix tests/plugins/mapctl/mapctl,.emf.c .emf.h .skel.h .bpf.o .emf.o)
EXTRA_DIST += tests/plugins/mapctl/mapctl.bpf.c tests/plugins/mapctl/mapctl.h
tests_unit_test_share_SOURCES = tests/unit/test_share.c $(EMF_FAKE_KERNEL)
tests_unit_test_share_CPPFLAGS = $(EMF_SLOT_TEST_CPPFLAGS) $(EMF_FAKE_CPPFLAGS)
tests_unit_test_share_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_share_LDADD = tests/plugins/slota/slota.emf.o tests/plugins/slotb/slotb.emf.o \
	$(EMF_TEST_LIBS)
# Declared attach targets of every kind, and their undoing.
tests_unit_test_attach_SOURCES = tests/unit/test_attach.c $(EMF_FAKE_KERNEL)
tests_unit_test_attach_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/attachkinds \
	-I$(srcdir)/tests/plugins/attachkinds $(EMF_FAKE_CPPFLAGS)
tests_unit_test_attach_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_attach_LDADD = tests/plugins/attachkinds/attachkinds.emf.o $(EMF_TEST_LIBS)
BUILT_SOURCES += tests/plugins/attachkinds/attachkinds.emf.c
CLEANFILES += tests/plugins/attachkinds/attachkinds.emf.o
tests_unit_test_hist_SOURCES = tests/unit/test_hist.c
tests_unit_test_hist_CPPFLAGS = $(AM_CPPFLAGS) -Itests/plugins/smp
tests_unit_test_hist_CFLAGS = $(EMF_TEST_CFLAGS)
tests_unit_test_hist_LDADD = tests/plugins/smp/smp.emf.o $(EMF_TEST_LIBS)

# The control socket against D-Bus and under a storm, every peer a process.
EMF_BENCHES += tests/bench/bench_ctl
tests_bench_bench_ctl_SOURCES = tests/bench/bench_ctl.c
tests_bench_bench_ctl_CPPFLAGS = $(EMF_EVGEN_CPPFLAGS)
tests_bench_bench_ctl_CFLAGS = $(EMF_TEST_CFLAGS)
tests_bench_bench_ctl_LDADD = $(EMF_EVGEN).emf.o $(EMF_TEST_LIBS)

EMF_KERNEL_PROGS = \
	tests/kernel/test_pipeline \
	$(NULL)
check_PROGRAMS += $(EMF_KERNEL_PROGS)
TESTS += $(EMF_KERNEL_PROGS)
tests_kernel_test_pipeline_SOURCES = tests/kernel/test_pipeline.c
tests_kernel_test_pipeline_CPPFLAGS = $(EMF_EVGEN_CPPFLAGS)
tests_kernel_test_pipeline_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_pipeline_LDADD = $(EMF_EVGEN).emf.o $(EMF_TEST_LIBS)

# emf-new, templates, install and pkg-config: emf-new's refusals, every hook kind it
# offers scaffolded, built and run, a consumer of an installed prefix, the man pages
# and the public headers.
EMF_SCAFFOLD_TESTS = \
	tests/consumer/test_install.sh \
	tests/consumer/test_man_example.sh \
	tests/consumer/test_man_pages.sh \
	tests/headers/test_headers.sh \
	tests/scaffold/test_agent_cli.sh \
	tests/scaffold/test_emf_new.sh \
	tests/scaffold/test_hooks.sh \
	tests/scaffold/test_paths.sh \
	$(NULL)
TESTS += $(EMF_SCAFFOLD_TESTS)
EXTRA_DIST += $(EMF_SCAFFOLD_TESTS)
AM_TESTS_ENVIRONMENT += EMF_CC='$(CC)' EMF_CXX='$(CXX)' EMF_CLANG='$(CLANG)' \
	EMF_PKG_CONFIG='$(PKG_CONFIG)' EMF_MAKE='$(MAKE)' \
	EMF_PUBLIC_HEADERS='$(emfinclude_HEADERS)'; \
	export EMF_CC EMF_CXX EMF_CLANG EMF_PKG_CONFIG EMF_MAKE EMF_PUBLIC_HEADERS;

EMF_BENCHES += tests/bench/bench_ringbuf
EMF_BENCHES += tests/bench/bench_metrics
tests_bench_bench_metrics_SOURCES = tests/bench/bench_metrics.c
tests_bench_bench_metrics_CPPFLAGS = $(EMF_EVGEN_CPPFLAGS)
tests_bench_bench_metrics_CFLAGS = $(EMF_TEST_CFLAGS) -O2
tests_bench_bench_metrics_LDADD = $(EMF_EVGEN).emf.o $(EMF_TEST_LIBS)
tests_bench_bench_ringbuf_SOURCES = tests/bench/bench_ringbuf.c
tests_bench_bench_ringbuf_CPPFLAGS = $(EMF_EVGEN_CPPFLAGS)
tests_bench_bench_ringbuf_CFLAGS = $(EMF_TEST_CFLAGS)
tests_bench_bench_ringbuf_LDADD = $(EMF_EVGEN).emf.o $(EMF_TEST_LIBS)

# Shared tail-call slots and maps: test plugins (tests only, never in emf-agent), their
# kernel test and the tail-call benchmark.
EMF_SLOT_TEST_PLUGINS = slota slotb slotb2 slotbadmap slotloop slotxdp tailbench
EMF_SLOT_TEST_BASES = $(foreach p,$(EMF_SLOT_TEST_PLUGINS),tests/plugins/$(p)/$(p))
BUILT_SOURCES += $(addsuffix .emf.c,$(EMF_SLOT_TEST_BASES))
CLEANFILES += $(foreach s,.emf.c .emf.h .skel.h .bpf.o .emf.o,$(addsuffix $(s),$(EMF_SLOT_TEST_BASES)))
EXTRA_DIST += $(addsuffix .bpf.c,$(EMF_SLOT_TEST_BASES)) $(addsuffix .h,$(EMF_SLOT_TEST_BASES))
EMF_SLOT_TEST_CPPFLAGS = $(AM_CPPFLAGS) \
	$(foreach p,$(EMF_SLOT_TEST_PLUGINS),-Itests/plugins/$(p) -I$(srcdir)/tests/plugins/$(p))

check_PROGRAMS += tests/kernel/test_slots
TESTS += tests/kernel/test_slots
tests_kernel_test_slots_SOURCES = tests/kernel/test_slots.c
tests_kernel_test_slots_CPPFLAGS = $(EMF_SLOT_TEST_CPPFLAGS)
tests_kernel_test_slots_CFLAGS = $(EMF_TEST_CFLAGS)
tests_kernel_test_slots_LDADD = $(addsuffix .emf.o,$(filter-out %/tailbench,$(EMF_SLOT_TEST_BASES))) \
	$(EMF_TEST_LIBS)

# The bundled slot pairs (plugins/sysdispatch + killsnoop, plugins/xdpdispatch + icmpsnoop)
# through emf-agent.
TESTS += tests/kernel/test_plugin_killsnoop.sh tests/kernel/test_plugin_icmpsnoop.sh
EXTRA_DIST += tests/kernel/test_plugin_killsnoop.sh tests/kernel/test_plugin_icmpsnoop.sh

EMF_BENCHES += tests/bench/bench_tailcall
tests_bench_bench_tailcall_SOURCES = tests/bench/bench_tailcall.c
tests_bench_bench_tailcall_CPPFLAGS = $(EMF_SLOT_TEST_CPPFLAGS)
tests_bench_bench_tailcall_CFLAGS = $(EMF_TEST_CFLAGS)
tests_bench_bench_tailcall_LDADD = tests/plugins/tailbench/tailbench.emf.o $(EMF_TEST_LIBS)

# The kernel matrix: every kernel test again inside Debian's 6.1 kernel under QEMU
# (tests/vm/run.sh). distcheck leaves it out: make check has just run it.
EMF_VM_TESTS = \
	$(EMF_KERNEL_TESTS) \
	tests/kernel/test_plugin_killsnoop.sh \
	tests/kernel/test_plugin_icmpsnoop.sh \
	tests/kernel/test_realworld \
	tests/kernel/test_rollback \
	tests/kernel/test_sample \
	tests/kernel/test_slots \
	$(EMF_KERNEL_PROGS) \
	tests/scaffold/test_hooks.sh \
	$(NULL)
EMF_VM_KERNELS = tests/vm/test_vm_6.1.sh
EXTRA_DIST += tests/vm/run.sh tests/vm/init.sh $(EMF_VM_KERNELS)
AM_TESTS_ENVIRONMENT += EMF_VM_TESTS='$(EMF_VM_TESTS)'; export EMF_VM_TESTS;
AM_DISTCHECK_CONFIGURE_FLAGS = --disable-vm-tests
clean-local: clean-vm
clean-vm:
	rm -rf tests/vm/work-* tests/vm/cache
.PHONY: clean-vm
