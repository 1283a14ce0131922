// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The message of a failed built-in call: a service keeps it with the method it
 * failed for, and the server takes it into the error reply of that call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"

int emf__ctl_fail(struct emf_ctl_err *e, struct emf_bus_req *req, int err, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	/* One line: the SDK's messages end in newlines. */
	for (n = text ? strlen(text) : 0; n && text[n - 1] == '\n'; n--)
		text[n - 1] = '\0';
	free(e->method);
	free(e->text);
	e->method = strdup(emf_bus_req__method(req));
	e->text = text;
	return err < 0 ? err : -EIO;
}

char *emf__ctl_err_take(struct emf_ctl_err *e, const char *method)
{
	char *text;

	if (!e->method || strcmp(e->method, method))
		return NULL;
	text = e->text;
	free(e->method);
	e->method = NULL;
	e->text = NULL;
	return text;
}

void emf__ctl_err_free(struct emf_ctl_err *e)
{
	free(e->method);
	free(e->text);
	e->method = NULL;
	e->text = NULL;
}
