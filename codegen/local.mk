# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
bin_PROGRAMS += codegen/emf-codegen

codegen_emf_codegen_SOURCES = \
	codegen/codegen.h \
	codegen/describe.c \
	codegen/dwarf.c \
	codegen/emit.c \
	codegen/render.c \
	codegen/emit.h \
	codegen/main.c \
	codegen/maps.c \
	codegen/model.c \
	codegen/options.c \
	codegen/run.c \
	codegen/semantic.c \
	codegen/shim.c \
	$(NULL)
codegen_emf_codegen_CPPFLAGS = $(AM_CPPFLAGS) \
	-DEMF_CLANG='"$(CLANG)"' \
	-DEMF_BPFTOOL='"$(BPFTOOL)"' \
	-DEMF_BPF_INCLUDEDIR='"$(includedir)"' \
	-DPACKAGE_VERSION='"$(PACKAGE_VERSION)"'
codegen_emf_codegen_CFLAGS = $(AM_CFLAGS) $(LIBBPF_CFLAGS) $(LIBELF_CFLAGS) $(LIBDW_CFLAGS) \
	$(JANSSON_CFLAGS)
codegen_emf_codegen_LDADD = $(LIBBPF_LIBS) $(LIBDW_LIBS) $(LIBELF_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS)

# vmlinux.h of the build machine's kernel (or the one configure was given).
vmlinux.h:
	$(AM_V_GEN)if test -n "$(VMLINUX_H)"; then \
		cp "$(VMLINUX_H)" $@.tmp; \
	else \
		$(BPFTOOL) btf dump file "$(VMLINUX_BTF)" format c > $@.tmp; \
	fi && mv $@.tmp $@
CLEANFILES += vmlinux.h

EMF_CODEGEN = codegen/emf-codegen$(EXEEXT)
# What every plugin's BPF code includes: a change rebuilds the plugins.
EMF_BPF_INCLUDES = $(filter %.bpf.h,$(addprefix $(srcdir)/,$(emfinclude_HEADERS)))
EMF_CODEGEN_FLAGS = --clang "$(CLANG)" --bpftool "$(BPFTOOL)" --vmlinux-h vmlinux.h \
	-I $(srcdir)/sdk/include
EMF_CODEGEN_V = $(EMF_CODEGEN_V_@AM_V@)
EMF_CODEGEN_V_ = $(EMF_CODEGEN_V_@AM_DEFAULT_V@)
EMF_CODEGEN_V_0 = @echo "  EMFGEN  " $@;
EMF_CODEGEN_V_1 =

# A plugin directory DIR/NAME/ (NAME.bpf.c + NAME.h) becomes DIR/NAME/NAME.emf.c, .emf.h,
# .skel.h and .bpf.o in the build tree, and NAME.emf.o, the object linked into a host.
%.emf.c: %.bpf.c %.h $(EMF_CODEGEN) vmlinux.h $(EMF_BPF_INCLUDES)
	$(EMF_CODEGEN_V)$(MKDIR_P) $(@D) && $(EMF_CODEGEN) $(EMF_CODEGEN_FLAGS) $(<D) -o $(@D)

# The same plugin as a shared object, for emf_runtime__load_file() / emf-agent --plugin.
%.emf.so: %.emf.c $(emfinclude_HEADERS)
	$(AM_V_CCLD)$(COMPILE) -fPIC -shared -Wl,-Bsymbolic $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS) -I$(@D) -o $@ $<

# The plugin's C side, next to the generated header it may include.
%.hooks.o: %.hooks.c %.emf.c $(emfinclude_HEADERS)
	$(AM_V_CC)$(COMPILE) $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS) -I$(@D) -c -o $@ $<

%.emf.o: %.emf.c $(emfinclude_HEADERS)
	$(AM_V_CC)$(COMPILE) $(LIBBPF_CFLAGS) $(JANSSON_CFLAGS) -I$(@D) -c -o $@ $<

# emf-codegen writes NAME.emf.d beside each plugin's generated files: what its BPF code
# includes, so that a change to any of it regenerates the plugin.
EMF_DEPFILES = $(wildcard plugins/*/*.emf.d tests/plugins/*/*.emf.d tests/plugins/*/*/*.emf.d \
	tests/codegen/*/*.emf.d tests/codegen/*/*/*.emf.d)
-include $(EMF_DEPFILES)
CLEANFILES += $(EMF_DEPFILES)
