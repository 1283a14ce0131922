// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event filters (<emf/filter.h>): a recursive-descent parser that resolves
 * every field and value against the event type's field table up front, into
 * a tree that matching walks without allocating.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emf/event.h>
#include <emf/filter.h>
#include <emf/fmt.h>
#include <emf/plugin.h>
#include <emf/types.h>
#include "fields_internal.h"
#include "runtime_internal.h"

enum node_kind { N_OR, N_AND, N_NOT, N_CMP };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
enum val_kind { V_SIGNED, V_UNSIGNED, V_FLOAT, V_STRING, V_GLOB, V_ADDR, V_ENDPOINT };

struct node {
	enum node_kind kind;
	struct node *l, *r; /* N_OR, N_AND; N_NOT uses l */
	/* N_CMP */
	enum op op;
	enum val_kind vk;
	uint32_t offset, size, bit_offset, bit_size;
	int64_t i;
	uint64_t u;
	double d;
	char *s; /* V_STRING, V_GLOB */
	uint8_t addr[16]; /* V_ADDR, compared over @size bytes; V_ENDPOINT's address */
};

struct emf_filter {
	struct node *root;
};

struct parser {
	const struct emf_event_type *type;
	const char *src, *p;
	char *err;
	size_t err_size;
	int failed;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->l);
	node_free(n->r);
	free(n->s);
	free(n);
}

__attribute__((format(printf, 2, 3))) static void perr(struct parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->err && ps->err_size)
		snprintf(ps->err, ps->err_size, "filter '%s', at column %d: %s", ps->src,
			 (int)(ps->p - ps->src) + 1, msg);
}

static void skip_ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static bool eat(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip_ws(ps);
	if (strncmp(ps->p, tok, n))
		return false;
	ps->p += n;
	return true;
}

static size_t ident_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

static struct node *new_node(struct parser *ps, enum node_kind kind)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n && !ps->failed)
		ps->failed = -ENOMEM;
	if (n)
		n->kind = kind;
	return n;
}

/* FIELD: a member name, a.b for a member of a nested struct (fields.c resolves it). */
static const struct emf_field *parse_field(struct parser *ps, uint32_t *offset)
{
	struct emf__field_path path;
	const struct emf_field *f;
	size_t n = 0, at;
	char msg[256];

	skip_ws(ps);
	while (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_' || ps->p[n] == '.')
		n++;
	if (emf__field_path(ps->type, ps->p, n, &path, &at, msg, sizeof(msg))) {
		ps->p += at;
		perr(ps, "%s", msg);
		return NULL;
	}
	ps->p += n;
	f = path.f[path.depth - 1];
	*offset = path.base + f->offset;
	if ((f->kind == EMF_FIELD_STRUCT || f->kind == EMF_FIELD_UNION) && !f->count) {
		perr(ps, "field '%s' is a struct: compare one of its fields (%s.%s)", f->name,
		     f->name, f->type->n_fields ? f->type->fields[0].name : "x");
		return NULL;
	}
	if (f->count && f->kind != EMF_FIELD_STRING && f->kind != EMF_FIELD_IPADDR) {
		perr(ps, "field '%s' is an array; only strings and addresses compare whole",
		     f->name);
		return NULL;
	}
	if ((f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_UINT) && f->size > 8) {
		perr(ps, "field '%s' is a %u-bit integer; filters compare up to 64 bits", f->name,
		     f->size * 8);
		return NULL;
	}
	return f;
}

static bool parse_op(struct parser *ps, enum op *op)
{
	static const struct {
		const char *tok;
		enum op op;
	} ops[] = { { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE },
		    { ">=", OP_GE }, { "<", OP_LT },  { ">", OP_GT } };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (eat(ps, ops[i].tok)) {
			*op = ops[i].op;
			return true;
		}
	}
	perr(ps, "expected a comparison: == != < <= > >=");
	return false;
}

/* A "quoted" string, with \" \\ \n \t escapes; NULL after an error. */
static char *parse_string(struct parser *ps)
{
	size_t n = 0, cap = strlen(ps->p) + 1;
	char *s;

	skip_ws(ps);
	if (*ps->p != '"')
		return NULL;
	s = malloc(cap);
	if (!s) {
		ps->failed = ps->failed ?: -ENOMEM;
		return NULL;
	}
	for (ps->p++; *ps->p && *ps->p != '"'; ps->p++) {
		char c = *ps->p;

		if (c == '\\' && ps->p[1]) {
			c = *++ps->p;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		s[n++] = c;
	}
	s[n] = '\0';
	if (*ps->p != '"') {
		free(s);
		perr(ps, "the string has no closing '\"'");
		return NULL;
	}
	ps->p++;
	return s;
}

/* The number a name stands for, for a field with names; false when none has it. */
static bool name_value(const struct emf_field *f, const char *name, int64_t *v)
{
	switch (f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_UINT ? f->semantic :
									EMF_SEM_NONE) {
	case EMF_SEM_UID: {
		struct passwd pw, *res = NULL;
		char tmp[1024];

		if (getpwnam_r(name, &pw, tmp, sizeof(tmp), &res) || !res)
			return false;
		*v = res->pw_uid;
		return true;
	}
	case EMF_SEM_GID: {
		struct group gr, *res = NULL;
		char tmp[1024];

		if (getgrnam_r(name, &gr, tmp, sizeof(tmp), &res) || !res)
			return false;
		*v = res->gr_gid;
		return true;
	}
	case EMF_SEM_ERRNO:
	case EMF_SEM_RET:
	case EMF_SEM_SIGNAL:
	case EMF_SEM_SYSCALL:
		return emf__sem_value(f->semantic, name, v);
	default:
		return false;
	}
}

/* An enum value's name, or a name of a field with names. */
static bool parse_name(struct parser *ps, const struct emf_field *f, const char *name,
		       struct node *n)
{
	uint32_t i;
	int64_t v;

	if (f->kind == EMF_FIELD_BOOL && (!strcmp(name, "true") || !strcmp(name, "false"))) {
		n->u = n->i = name[0] == 't';
		return true;
	}
	for (i = 0; f->kind == EMF_FIELD_ENUM && i < f->n_enum_values; i++) {
		if (!strcmp(f->enum_values[i].name, name)) {
			n->i = f->enum_values[i].value;
			n->u = (uint64_t)n->i;
			return true;
		}
	}
	if (name_value(f, name, &v)) {
		n->i = v;
		n->u = (uint64_t)v;
		return true;
	}
	perr(ps, "'%s' is not a value of field '%s' (%s)", name, f->name,
	     emf_field_kind_str(f->kind));
	return false;
}

static bool parse_number(struct parser *ps, const struct emf_field *f, struct node *n)
{
	const char *start;
	char *end;

	skip_ws(ps);
	start = ps->p;
	errno = 0;
	if (f->kind == EMF_FIELD_FLOAT) {
		n->d = strtod(start, &end);
	} else if (*start == '-') {
		n->i = strtoll(start, &end, 0);
		n->u = (uint64_t)n->i;
		if (f->kind != EMF_FIELD_INT && f->kind != EMF_FIELD_CHAR &&
		    f->kind != EMF_FIELD_ENUM && f->size < 8) {
			/* -1 for an unsigned field is its largest value, as for options. */
			n->u &= (1ULL << (f->bit_size ?: f->size * 8)) - 1;
		}
	} else {
		n->u = strtoull(start, &end, 0);
		n->i = (int64_t)n->u;
	}
	if (end == start || errno || isalnum((unsigned char)*end) || *end == '_') {
		perr(ps, "expected a number for field '%s' (%s)", f->name,
		     emf_field_kind_str(f->kind));
		return false;
	}
	ps->p = end;
	return true;
}

/* n->s as "10.0.0.1:80" or "[::1]:22", for a struct emf_endpoint. */
static bool parse_endpoint(struct parser *ps, const struct emf_field *f, struct node *n)
{
	char addr[INET6_ADDRSTRLEN + 2], *end;
	const char *a = n->s, *colon = strrchr(n->s, ':');
	size_t alen;

	n->vk = V_ENDPOINT;
	if (colon && a[0] == '[' && colon > a && colon[-1] == ']') {
		a++;
		alen = colon - 1 - a;
	} else {
		alen = colon ? (size_t)(colon - a) : 0;
	}
	if (colon && alen < sizeof(addr) && colon[1]) {
		memcpy(addr, a, alen);
		addr[alen] = '\0';
		errno = 0;
		n->u = strtoul(colon + 1, &end, 10);
		if (!errno && !*end && n->u <= 65535 && isdigit((unsigned char)colon[1])) {
			if (a == n->s + 1 && inet_pton(AF_INET6, addr, n->addr) == 1)
				return true;
			if (a == n->s && inet_pton(AF_INET, addr, n->addr) == 1) {
				n->i = 1; /* either form of IPv4, see emf_ipaddr_t */
				return true;
			}
		}
	}
	perr(ps, "'%s' is not an endpoint for field '%s': write 10.0.0.1:80 or [::1]:22, or compare %s.addr or %s.port",
	     n->s, f->name, f->name, f->name);
	return false;
}

static struct node *parse_cmp(struct parser *ps)
{
	const struct emf_field *f;
	struct node *n;
	uint32_t offset;
	size_t len;

	f = parse_field(ps, &offset);
	if (!f)
		return NULL;
	n = new_node(ps, N_CMP);
	if (!n)
		return NULL;
	n->offset = offset;
	n->size = f->size;
	n->bit_offset = f->bit_offset;
	n->bit_size = f->bit_size;
	if (!parse_op(ps, &n->op))
		goto err;
	skip_ws(ps);
	switch (f->kind) {
	case EMF_FIELD_STRING:
	case EMF_FIELD_IPV4:
	case EMF_FIELD_IPADDR:
	case EMF_FIELD_ENDPOINT:
		if (n->op != OP_EQ && n->op != OP_NE) {
			perr(ps, "field '%s' (%s) compares with == and != only", f->name,
			     emf_field_kind_str(f->kind));
			goto err;
		}
		n->s = parse_string(ps);
		if (!n->s) {
			perr(ps, "field '%s' (%s) compares with a \"quoted\" value", f->name,
			     emf_field_kind_str(f->kind));
			goto err;
		}
		if (f->kind == EMF_FIELD_STRING) {
			n->vk = strpbrk(n->s, "*?[") ? V_GLOB : V_STRING;
			break;
		}
		if (f->kind == EMF_FIELD_ENDPOINT) {
			if (!parse_endpoint(ps, f, n))
				goto err;
			break;
		}
		n->vk = V_ADDR;
		if (f->kind == EMF_FIELD_IPV4 ? inet_pton(AF_INET, n->s, n->addr) == 1 :
						inet_pton(AF_INET6, n->s, n->addr) == 1)
			break;
		if (f->kind == EMF_FIELD_IPADDR && inet_pton(AF_INET, n->s, n->addr) == 1) {
			/* Either form of an IPv4 address in 16 bytes, see emf_ipaddr_t. */
			n->i = 1;
			break;
		}
		perr(ps, "'%s' is not an %s address", n->s,
		     f->kind == EMF_FIELD_IPV4 ? "IPv4" : "IP");
		goto err;
	default:
		n->vk = f->kind == EMF_FIELD_FLOAT ? V_FLOAT :
			f->kind == EMF_FIELD_INT || f->kind == EMF_FIELD_CHAR ||
					(f->kind == EMF_FIELD_ENUM && !f->bit_size) ?
						     V_SIGNED :
						     V_UNSIGNED;
		if (f->bit_size)
			n->vk = V_UNSIGNED;
		len = ident_len(ps->p);
		if (len && f->kind != EMF_FIELD_FLOAT) {
			char name[64];

			snprintf(name, sizeof(name), "%.*s", (int)len, ps->p);
			if (!parse_name(ps, f, name, n))
				goto err;
			ps->p += len;
		} else if (*ps->p == '"' && f->kind != EMF_FIELD_FLOAT) {
			char *s = parse_string(ps);

			if (!s || !parse_name(ps, f, s, n)) {
				free(s);
				goto err;
			}
			free(s);
		} else if (!parse_number(ps, f, n)) {
			goto err;
		}
	}
	return n;
err:
	node_free(n);
	return NULL;
}

static struct node *parse_or(struct parser *ps);

static struct node *parse_unary(struct parser *ps)
{
	struct node *n;

	if (eat(ps, "!")) {
		n = new_node(ps, N_NOT);
		if (n)
			n->l = parse_unary(ps);
		if (n && !n->l) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	if (eat(ps, "(")) {
		n = parse_or(ps);
		if (n && !eat(ps, ")")) {
			perr(ps, "expected ')'");
			node_free(n);
			return NULL;
		}
		return n;
	}
	return parse_cmp(ps);
}

static struct node *parse_binary(struct parser *ps, enum node_kind kind)
{
	const char *tok = kind == N_OR ? "||" : "&&";
	struct node *l = kind == N_OR ? parse_binary(ps, N_AND) : parse_unary(ps), *n;

	while (l && eat(ps, tok)) {
		n = new_node(ps, kind);
		if (!n) {
			node_free(l);
			return NULL;
		}
		n->l = l;
		n->r = kind == N_OR ? parse_binary(ps, N_AND) : parse_unary(ps);
		if (!n->r) {
			node_free(n);
			return NULL;
		}
		l = n;
	}
	return l;
}

static struct node *parse_or(struct parser *ps)
{
	return parse_binary(ps, N_OR);
}

int emf_filter__new(const struct emf_event_type *type, const char *expr, struct emf_filter **filter,
		    char *err, size_t err_size)
{
	struct parser ps = {
		.type = type, .src = expr, .p = expr, .err = err, .err_size = err_size
	};
	struct emf_filter *f;
	struct node *root;

	if (err && err_size)
		err[0] = '\0';
	if (!type || !expr || !filter)
		return -EINVAL;
	root = parse_or(&ps);
	skip_ws(&ps);
	if (root && *ps.p)
		perr(&ps, "unexpected '%s'", ps.p);
	if (!root && !ps.failed)
		perr(&ps, "empty expression");
	if (ps.failed) {
		node_free(root);
		return ps.failed;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		node_free(root);
		return -ENOMEM;
	}
	f->root = root;
	*filter = f;
	return 0;
}

void emf_filter__free(struct emf_filter *filter)
{
	if (!filter)
		return;
	node_free(filter->root);
	free(filter);
}

static int cmp_result(enum op op, int c)
{
	switch (op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

static bool match_cmp(const struct node *n, const char *data, size_t size)
{
	const char *p = data + n->offset;
	size_t have = n->offset < size ? size - n->offset : 0;
	uint64_t u = 0;
	int64_t i;
	int c;

	if (n->vk == V_STRING || n->vk == V_GLOB) {
		char buf[4096];
		size_t len = strnlen(p, have < n->size ? have : n->size);

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		c = n->vk == V_GLOB ? fnmatch(n->s, buf, 0) != 0 : strcmp(buf, n->s) != 0;
		return cmp_result(n->op, c);
	}
	if (have < n->size)
		return false;
	if (n->vk == V_ADDR || n->vk == V_ENDPOINT) {
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff }, zero[12];
		uint16_t port;
		bool eq;

		if (n->i) /* an IPv4 address in an emf_ipaddr_t: either form */
			eq = (!memcmp(p, mapped, 12) && !memcmp(p + 12, n->addr, 4)) ||
			     (!memcmp(p, n->addr, 4) && !memcmp(p + 4, zero, 12));
		else
			eq = !memcmp(p, n->addr, n->vk == V_ENDPOINT ? 16 : n->size);
		if (eq && n->vk == V_ENDPOINT) {
			memcpy(&port, p + offsetof(struct emf_endpoint, port), sizeof(port));
			eq = port == n->u;
		}
		return cmp_result(n->op, !eq);
	}
	if (n->vk == V_FLOAT) {
		double d;

		if (n->size == 4) {
			float fl;

			memcpy(&fl, p, 4);
			d = fl;
		} else {
			memcpy(&d, p, sizeof(d));
		}
		return cmp_result(n->op, d < n->d ? -1 : d > n->d ? 1 : 0);
	}
	memcpy(&u, p, n->size > 8 ? 8 : n->size);
	if (n->bit_size) {
		u = (u >> n->bit_offset) & (n->bit_size < 64 ? (1ULL << n->bit_size) - 1 : ~0ULL);
		return cmp_result(n->op, u < n->u ? -1 : u > n->u ? 1 : 0);
	}
	if (n->vk == V_UNSIGNED)
		return cmp_result(n->op, u < n->u ? -1 : u > n->u ? 1 : 0);
	/* Sign-extend the field's width. */
	i = n->size >= 8 ? (int64_t)u : (int64_t)(u << (64 - 8 * n->size)) >> (64 - 8 * n->size);
	return cmp_result(n->op, i < n->i ? -1 : i > n->i ? 1 : 0);
}

static bool match(const struct node *n, const char *data, size_t size)
{
	switch (n->kind) {
	case N_OR:
		return match(n->l, data, size) || match(n->r, data, size);
	case N_AND:
		return match(n->l, data, size) && match(n->r, data, size);
	case N_NOT:
		return !match(n->l, data, size);
	default:
		return match_cmp(n, data, size);
	}
}

bool emf_filter__match(const struct emf_filter *filter, const void *data, size_t size)
{
	if (!filter)
		return true;
	/* the filter of an output whose type lacks what it names */
	return filter->root && match(filter->root, data, size);
}

void emf__filters_free(struct emf_plugin *p)
{
	uint32_t i;

	for (i = 0; p->filters && i < p->desc->n_outputs; i++)
		emf_filter__free(p->filters[i]);
	free(p->filters);
	p->filters = NULL;
}

/*
 * The outputs whose event type the expression does not fit (a field only
 * another type has) pass nothing; it must fit one of them at least.
 */
int emf_plugin__set_filter(struct emf_plugin *p, const char *expr, char *err, size_t err_size)
{
	char why[512], first[512] = "", note[512] = "";
	struct emf_filter **fs;
	uint32_t i, n_fit = 0, n_unfit = 0;
	int ret, first_ret = 0;
	size_t len;

	if (err && err_size)
		err[0] = '\0';
	if (!p)
		return -EINVAL;
	if (!expr) {
		emf__filters_free(p);
		return 0;
	}
	if (!p->desc->n_outputs) {
		if (err && err_size)
			snprintf(err, err_size, "plugin '%s' sends no events to filter",
				 p->desc->name);
		return -EINVAL;
	}
	fs = calloc(p->desc->n_outputs, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	for (i = 0; i < p->desc->n_outputs; i++) {
		const struct emf_event_type *t = p->desc->outputs[i].event;

		ret = t ? emf_filter__new(t, expr, &fs[i], why, sizeof(why)) : -EINVAL;
		if (!t)
			snprintf(why, sizeof(why), "output '%s' has no event type",
				 p->desc->outputs[i].map_name);
		if (ret == -ENOMEM)
			goto err_free;
		if (!ret) {
			n_fit++;
			continue;
		}
		if (!first_ret) {
			first_ret = ret;
			snprintf(first, sizeof(first), "%s", why);
		}
		fs[i] = calloc(1, sizeof(*fs[i])); /* passes nothing */
		if (!fs[i]) {
			ret = -ENOMEM;
			goto err_free;
		}
		len = strlen(note);
		snprintf(note + len, sizeof(note) - len, "%s%s", n_unfit++ ? ", " : "",
			 t ? t->name : p->desc->outputs[i].map_name);
	}
	if (!n_fit) {
		ret = first_ret;
		if (err && err_size)
			snprintf(err, err_size, "plugin '%s': %s", p->desc->name, first);
		goto err_free;
	}
	if (n_unfit && err && err_size)
		snprintf(
			err, err_size,
			"plugin '%s': the filter does not fit its %s events, which are not shown: %s",
			p->desc->name, note, first);
	emf__filters_free(p);
	p->filters = fs;
	return 0;

err_free:
	for (i = 0; i < p->desc->n_outputs; i++)
		emf_filter__free(fs[i]);
	free(fs);
	return ret;
}
