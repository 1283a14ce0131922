/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A command line per plugin: getopt_long() entries and --help text made from
 * a plugin's options (its const volatile globals), with the description and
 * friendly type emf-codegen took from the .bpf.c. A host that runs one plugin
 * as a tool of its own ("emf-agent execsnoop --uid 1000") builds the table
 * with its own options first, parses, and hands each plugin option back as
 * the text emf_plugin__set_option() takes.
 */
#ifndef __EMF_CLI_H
#define __EMF_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <emf/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct emf_cli;

/*
 * emf_cli__new - the command line of one plugin
 * @desc: the plugin's descriptor; it must outlive the object
 * @host: the host's own long options, ended by an all-zero entry, or NULL;
 *        copied. A plugin option whose long name (struct emf_option
 *        .long_name) a host option has is offered under its C name, '-' for
 *        '_', instead; when that is taken too, only emf_plugin__set_option()
 *        reaches it.
 * @first_val: what getopt_long() returns for the plugin's options: option i
 *             of the descriptor returns @first_val + i. Pick it above the
 *             host's own values (256 and up are free of short options).
 *
 * Returns an object to free with emf_cli__free(), or NULL with errno set:
 * EINVAL for a descriptor emf_plugin_desc__check() refuses, ENOMEM.
 */
struct emf_cli *emf_cli__new(const struct emf_plugin_desc *desc, const struct option *host,
			     int first_val);

/* emf_cli__free - free what emf_cli__new() made; NULL-safe. */
void emf_cli__free(struct emf_cli *cli);

/*
 * emf_cli__long_options - the table for getopt_long()
 *
 * The host's entries, then one per plugin option that has a long name (a
 * bool takes an optional argument, =true when left out; every other type a
 * required one), then an all-zero entry. Owned by @cli.
 */
const struct option *emf_cli__long_options(const struct emf_cli *cli);

/*
 * emf_cli__arg - a plugin option getopt_long() returned, as text to set
 * @val: getopt_long()'s return value
 * @optarg: its argument (NULL for a bool given alone)
 *
 * Returns "PLUGIN.OPTION=VALUE", the form of emf-agent's --arg, owned by @cli
 * and valid until emf_cli__free(); the caller may change it in place. NULL
 * with errno ENOENT when @val is not one of the plugin's options, ENOMEM.
 * The value is checked when it is set (emf_plugin__set_option()), whose
 * message names the plugin, the option, its type and range.
 */
char *emf_cli__arg(struct emf_cli *cli, int val, const char *optarg);

/* How emf_cli__print_options() writes the options. */
struct emf_cli_help_opts {
	size_t sz;
	unsigned int width; /* wrap at this column; 0 for 80 */
	/* "-a PLUGIN.OPTION=TYPE" entries, for hosts that take options only that way */
	bool arg_form;
	size_t : 0;
};

/*
 * emf_cli__print_options - one entry per option, as --help shows them
 *
 * "      --uid=uid      only this user's": the long option and its
 * friendly type (a bool is a flag, "--failed-only"; it takes =false too),
 * then the description and the default, aligned in one
 * column and wrapped at the width. @opts may be NULL. Returns the number of
 * options printed, or -EINVAL for bad @opts, -EIO when @f fails.
 */
int emf_cli__print_options(const struct emf_cli *cli, FILE *f,
			   const struct emf_cli_help_opts *opts);

/*
 * emf_cli__print_help - a plugin's --help, up to the host's own options
 * @prog: the command as the user runs it, e.g. "emf-agent execsnoop"
 *
 * Prints "Usage: PROG [OPTIONS]", the plugin's description and its options
 * (emf_cli__print_options()). Returns 0, or -EINVAL, -EIO as that does.
 */
int emf_cli__print_help(const struct emf_cli *cli, FILE *f, const char *prog,
			const struct emf_cli_help_opts *opts);

/*
 * emf_cli__print_summary - the plugin's row of a plugin list
 *
 * "10    execsnoop        Trace execve() of every process: ...": its
 * priority, name and description, the description wrapped at the width
 * under itself, as "emf-agent --list" shows it above the options
 * (emf_cli__print_options()). @opts may be NULL. Returns 0, or -EINVAL for
 * bad @opts, -EIO when @f fails.
 */
int emf_cli__print_summary(const struct emf_cli *cli, FILE *f,
			   const struct emf_cli_help_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_CLI_H */
