// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include <emf/errno.h>
#include <emf/event.h>

#include "log_internal.h"

int emf_event_type__check(const struct emf_event_type *type, size_t size)
{
	if (size < type->min_size)
		return emf_err(-EMF_ERRNO__TRUNC);
	return 0;
}

const struct emf_field *emf_event_type__field(const struct emf_event_type *type, const char *name)
{
	uint32_t i;

	for (i = 0; i < type->n_fields; i++)
		if (!strcmp(type->fields[i].name, name))
			return &type->fields[i];
	return emf_err_ptr(-ENOENT);
}

const char *emf_field_kind_str(enum emf_field_kind kind)
{
	switch (kind) {
	case EMF_FIELD_INT:
		return "int";
	case EMF_FIELD_UINT:
		return "uint";
	case EMF_FIELD_BOOL:
		return "bool";
	case EMF_FIELD_CHAR:
		return "char";
	case EMF_FIELD_ENUM:
		return "enum";
	case EMF_FIELD_STRING:
		return "string";
	case EMF_FIELD_FLOAT:
		return "float";
	case EMF_FIELD_POINTER:
		return "pointer";
	case EMF_FIELD_STRUCT:
		return "struct";
	case EMF_FIELD_UNION:
		return "union";
	case EMF_FIELD_IPV4:
		return "ipv4";
	case EMF_FIELD_IPADDR:
		return "ipaddr";
	case EMF_FIELD_ENDPOINT:
		return "endpoint";
	}
	return "unknown";
}
