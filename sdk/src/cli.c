// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A command line per plugin: getopt_long() entries and help text from the
 * option descriptors emf-codegen writes (name, friendly type, description,
 * default). The values themselves are checked where every option is set,
 * emf_plugin__set_option(), so there is one set of rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emf/cli.h>
#include <emf/errno.h>

#include "log_internal.h"
#include "opts_internal.h"

#define HELP_WIDTH 80
#define HELP_COLUMN 25 /* where descriptions start, as in emf-agent --help */

struct emf_cli {
	const struct emf_plugin_desc *desc;
	struct option *opts; /* host's, then the plugin's, then a zero entry */
	char **names; /* per plugin option: its long option, NULL when it has none */
	char **args; /* per plugin option: the last "PLUGIN.OPTION=VALUE" handed out */
	int first_val;
};

void emf_cli__free(struct emf_cli *cli)
{
	uint32_t i;

	if (!cli)
		return;
	for (i = 0; cli->desc && i < cli->desc->n_options; i++) {
		if (cli->names)
			free(cli->names[i]);
		if (cli->args)
			free(cli->args[i]);
	}
	free(cli->names);
	free(cli->args);
	free(cli->opts);
	free(cli);
}

/* Is @name a long option of @opts[0..@n)? */
static bool taken(const struct option *opts, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (opts[i].name && !strcmp(opts[i].name, name))
			return true;
	return false;
}

/* @s with '-' for '_', malloc'd. */
static char *dashed(const char *s)
{
	char *d = strdup(s), *c;

	for (c = d; c && *c; c++)
		if (*c == '_')
			*c = '-';
	return d;
}

struct emf_cli *emf_cli__new(const struct emf_plugin_desc *desc, const struct option *host,
			     int first_val)
{
	size_t n_host = 0, n = 0;
	struct emf_cli *cli;
	uint32_t i;

	if (emf_plugin_desc__check(desc, NULL))
		return emf_err_ptr(-EINVAL);
	while (host && host[n_host].name)
		n_host++;
	cli = calloc(1, sizeof(*cli));
	if (!cli)
		return emf_err_ptr(-ENOMEM);
	cli->desc = desc;
	cli->first_val = first_val;
	cli->opts = calloc(n_host + desc->n_options + 1, sizeof(*cli->opts));
	cli->names = calloc(desc->n_options + 1, sizeof(*cli->names));
	cli->args = calloc(desc->n_options + 1, sizeof(*cli->args));
	if (!cli->opts || !cli->names || !cli->args)
		goto err_free;
	if (n_host)
		memcpy(cli->opts, host, n_host * sizeof(*host));
	n = n_host;
	for (i = 0; i < desc->n_options; i++) {
		const struct emf_option *o = &desc->options[i];
		char *name = dashed(o->long_name ?: o->name);

		/* The host's own options win: a clash falls back to the C name. */
		if (name && taken(cli->opts, n, name)) {
			free(name);
			name = dashed(o->name);
			if (name && taken(cli->opts, n, name)) {
				pr_info("cli: option %s of plugin '%s' has no long option: the host has --%s\n",
					o->name, desc->name, name);
				free(name);
				continue;
			}
		}
		if (!name)
			goto err_free;
		cli->names[i] = name;
		cli->opts[n].name = name;
		cli->opts[n].has_arg = o->kind == EMF_FIELD_BOOL ? optional_argument :
								    required_argument;
		cli->opts[n].val = first_val + (int)i;
		n++;
	}
	return cli;

err_free:
	emf_cli__free(cli);
	return emf_err_ptr(-ENOMEM);
}

const struct option *emf_cli__long_options(const struct emf_cli *cli)
{
	return cli->opts;
}

char *emf_cli__arg(struct emf_cli *cli, int val, const char *optarg)
{
	const struct emf_option *o;
	long i = (long)val - cli->first_val;
	char *s;

	if (i < 0 || i >= (long)cli->desc->n_options || !cli->names[i])
		return emf_err_ptr(-ENOENT);
	o = &cli->desc->options[i];
	if (asprintf(&s, "%s.%s=%s", cli->desc->name, o->name,
		     optarg ?: (o->kind == EMF_FIELD_BOOL ? "true" : "")) < 0)
		return emf_err_ptr(-ENOMEM);
	free(cli->args[i]);
	cli->args[i] = s;
	return s;
}

/* A default worth showing: not zero, false or empty, which mean "off" or "all". */
static bool shows_default(const struct emf_option *o)
{
	const char *d = o->defval;

	return d && d[0] && strcmp(d, "0") && strcmp(d, "false");
}

/*
 * An unsigned option whose default is its largest value, which it takes as -1
 * too (the usual "-1 for all"): shown as -1, not 4294967295.
 */
static bool all_ones(const struct emf_option *o)
{
	char max[24];

	if (o->kind != EMF_FIELD_UINT || !o->size || o->size > 8)
		return false;
	snprintf(max, sizeof(max), "%llu", o->size == 8 ? ~0ULL : (1ULL << (o->size * 8)) - 1);
	return !strcmp(o->defval, max);
}

/*
 * Write @text from column @col on, word-wrapped at @width with continuation
 * lines indented to @indent; a word longer than a line goes on a line alone.
 */
static void wrap(FILE *f, const char *text, size_t col, size_t indent, size_t width)
{
	const char *w = text;

	while (*w) {
		size_t len = strcspn(w, " ");

		if (col > indent && col + 1 + len > width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)len, w);
		col += len;
		w += len;
		w += strspn(w, " ");
	}
	fputc('\n', f);
}

int emf_cli__print_options(const struct emf_cli *cli, FILE *f, const struct emf_cli_help_opts *opts)
{
	const struct emf_plugin_desc *d = cli->desc;
	size_t width;
	uint32_t i;
	int n = 0;

	if (!OPTS_VALID(opts, emf_cli_help_opts))
		return emf_err(-EINVAL);
	width = OPTS_GET(opts, width, 0) ?: HELP_WIDTH;
	for (i = 0; i < d->n_options; i++) {
		const struct emf_option *o = &d->options[i];
		const char *type = o->friendly_type ?: o->type_name;
		bool bool_opt = o->kind == EMF_FIELD_BOOL;
		char *text = NULL, left[256];
		int len;

		if (OPTS_GET(opts, arg_form, false))
			len = snprintf(left, sizeof(left), "  -a %s.%s=%s", d->name, o->name, type);
		else if (cli->names[i])
			/* A flag: given alone it is true (--OPTION=false is taken too). */
			len = snprintf(left, sizeof(left), "      --%s%s%s", cli->names[i],
				       bool_opt ? "" : "=", bool_opt ? "" : type);
		else
			len = snprintf(left, sizeof(left), "  -a %s.%s=%s", d->name, o->name, type);
		if (len < 0)
			continue;
		if (shows_default(o)) {
			bool quote = o->kind == EMF_FIELD_STRING;

			if (asprintf(&text, "%s%s(default: %s%s%s)", o->description ?: "",
				     o->description && o->description[0] ? " " : "",
				     quote ? "\"" : "", all_ones(o) ? "-1" : o->defval,
				     quote ? "\"" : "") < 0)
				return emf_err(-ENOMEM);
		}
		fputs(left, f);
		if (len + 2 > HELP_COLUMN) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
		} else {
			fprintf(f, "%*s", HELP_COLUMN - len, "");
		}
		wrap(f, text ?: o->description ?: "", HELP_COLUMN, HELP_COLUMN, width);
		free(text);
		n++;
	}
	return ferror(f) ? emf_err(-EIO) : n;
}

/* The columns of a list row: "PRIO  NAME             DESCRIPTION". */
#define SUMMARY_NAME_COLUMN 6
#define SUMMARY_COLUMN 23

int emf_cli__print_summary(const struct emf_cli *cli, FILE *f, const struct emf_cli_help_opts *opts)
{
	const struct emf_plugin_desc *d = cli->desc;
	int n;

	if (!OPTS_VALID(opts, emf_cli_help_opts))
		return emf_err(-EINVAL);
	n = fprintf(f, "%-*d %-*s ", SUMMARY_NAME_COLUMN - 1, d->priority,
		    SUMMARY_COLUMN - SUMMARY_NAME_COLUMN - 1, d->name);
	wrap(f, d->description ?: "", n < 0 ? 0 : (size_t)n, SUMMARY_COLUMN,
	     OPTS_GET(opts, width, 0) ?: HELP_WIDTH);
	return ferror(f) ? emf_err(-EIO) : 0;
}

int emf_cli__print_help(const struct emf_cli *cli, FILE *f, const char *prog,
			const struct emf_cli_help_opts *opts)
{
	const struct emf_plugin_desc *d = cli->desc;
	int err;

	fprintf(f, "Usage: %s [OPTIONS]\n\n", prog);
	if (d->description && d->description[0]) {
		fprintf(f, "%s:", d->name);
		wrap(f, d->description, strlen(d->name) + 1, 0, OPTS_GET(opts, width, 0) ?: HELP_WIDTH);
		fputc('\n', f);
	}
	if (!d->n_options)
		fprintf(f, "%s has no options of its own.\n", d->name);
	else
		fprintf(f, "Options of %s:\n", d->name);
	err = emf_cli__print_options(cli, f, opts);
	return err < 0 ? err : 0;
}
