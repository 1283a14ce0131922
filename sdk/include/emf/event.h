/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event types: what emf-codegen knows of an event struct, as compiled code.
 *
 * For every struct of a plugin's event header, emf-codegen emits a constant
 * struct emf_event_type: its layout (from the BPF object's BTF), a field table
 * for generic consumers, and renderers compiled for that struct. Nothing here
 * walks types at run time. All of it is read-only and lives as long as the
 * plugin's code is loaded.
 */
#ifndef __EMF_EVENT_H
#define __EMF_EVENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;
struct emf_buf;

/* Compile-time layout checks in generated headers, for C and C++ alike. */
#ifdef __cplusplus
#define EMF_LAYOUT_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define EMF_LAYOUT_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

enum emf_field_kind {
	EMF_FIELD_INT, /* signed integer, any width up to 128 bits */
	EMF_FIELD_UINT, /* unsigned integer, any width up to 128 bits */
	EMF_FIELD_BOOL,
	EMF_FIELD_CHAR, /* a single char, rendered as a number */
	EMF_FIELD_ENUM, /* rendered by name, as a number when the value has none */
	EMF_FIELD_STRING, /* char[N]: bounded string, stops at NUL, never past N */
	EMF_FIELD_FLOAT, /* float or double */
	EMF_FIELD_POINTER, /* rendered as an address */
	EMF_FIELD_STRUCT, /* nested struct, see emf_field.type */
	EMF_FIELD_UNION, /* nested union, see emf_field.type */
	EMF_FIELD_IPV4, /* emf_ipv4_t: network byte order, rendered "a.b.c.d" */
	EMF_FIELD_IPADDR, /* emf_ipaddr_t: 16 bytes, rendered as IPv6 or IPv4 */
	/*
	 * struct emf_endpoint: an address and a port, rendered "10.0.0.1:80";
	 * emf_field.type lists its parts (addr, port) for filters.
	 */
	EMF_FIELD_ENDPOINT,
};

/* The clock of an event's own timestamp field (see <emf/types.h>). */
enum emf_clock {
	EMF_CLOCK_NONE, /* no timestamp field: the event is stamped when read */
	EMF_CLOCK_MONOTONIC, /* emf_ktime_t, bpf_ktime_get_ns() */
	EMF_CLOCK_BOOTTIME, /* emf_boottime_t, bpf_ktime_get_boot_ns() */
};

/*
 * What an integer field means, from its <emf/types.h> type: how renderers
 * name its value. Its kind stays the integer's, so it compares as a number.
 */
enum emf_semantic {
	EMF_SEM_NONE,
	EMF_SEM_KTIME, /* emf_ktime_t */
	EMF_SEM_BOOTTIME, /* emf_boottime_t */
	EMF_SEM_ERRNO, /* emf_errno_t: "ENOENT" */
	EMF_SEM_RET, /* emf_ret_t: the number, or "ENOENT" for -ENOENT */
	EMF_SEM_SIGNAL, /* emf_signal_t: "SIGKILL" */
	EMF_SEM_UID, /* emf_uid_t: "root" */
	EMF_SEM_GID, /* emf_gid_t: "root" */
	EMF_SEM_SYSCALL, /* emf_syscall_t: "openat" */
	EMF_SEM_OPEN_FLAGS, /* emf_open_flags_t: "O_RDONLY|O_CLOEXEC" */
	EMF_SEM_MODE, /* emf_mode_t: "0644" */
	EMF_SEM_ARGV, /* EMF_ARGV char array: NUL-separated strings, a list */
	EMF_SEM_KSTACK, /* EMF_KSTACK 64-bit array: kernel frames, a list of names */
	EMF_SEM_USTACK, /* EMF_USTACK: user frames of the process at emf_field.pid_offset */
};

struct emf_enum_value {
	const char *name;
	int64_t value;
};

struct emf_event_type;

struct emf_field {
	const char *name; /* C name of the member */
	enum emf_field_kind kind; /* of the element, for arrays */
	uint32_t offset; /* bytes from the start of the struct */
	uint32_t size; /* bytes of the whole member (all elements) */
	uint32_t count; /* element count of an array member; 0 when not an array */
	uint8_t bit_offset; /* bitfield: bits from @offset; 0 otherwise */
	uint8_t bit_size; /* bitfield: width in bits; 0 when not a bitfield */
	uint32_t n_enum_values;
	const struct emf_enum_value *enum_values; /* EMF_FIELD_ENUM only */
	const struct emf_event_type *type; /* EMF_FIELD_STRUCT/UNION only */
	enum emf_semantic semantic; /* what the value means, for naming it */
	/*
	 * EMF_SEM_USTACK: 1 + the byte offset, in the struct holding this field,
	 * of the 32-bit member with the process id; 0 otherwise. (It fills what
	 * was padding, so the struct keeps its size.)
	 */
	uint32_t pid_offset;
};

struct emf_event_type {
	const char *name; /* C name of the struct in the event header, e.g. "event" */
	uint32_t size; /* sizeof the struct */
	/*
	 * Shortest buffer accepted: the fixed part. Equal to @size unless the
	 * struct ends in an array that BPF code may submit cut short.
	 */
	uint32_t min_size;
	uint32_t n_fields;
	const struct emf_field *fields;
	/* Column titles of render_text, aligned the same way; no newline. */
	const char *text_header;
	/* Upper bounds of what render_text and render_json write for one event. */
	size_t text_max;
	size_t json_max;
	/*
	 * render_text - aligned columns, no newline. @p has text_max bytes
	 * reserved; returns the end of what was written. @size must be >= min_size.
	 */
	char *(*render_text)(char *p, const void *data, size_t size);
	/*
	 * render_json - the fields as JSON members ("a":1,"b":"x"), without braces
	 * or newline. @p has json_max bytes reserved; returns the end.
	 */
	char *(*render_json)(char *p, const void *data, size_t size);
	/* to_json - a new jansson object (caller owns the reference), or NULL on ENOMEM. */
	struct json_t *(*to_json)(const void *data, size_t size);
	/* The event's timestamp: a 64-bit field at @time_offset, on @time_clock. */
	enum emf_clock time_clock;
	uint32_t time_offset;
};

/*
 * emf_event_type__check - validate an event buffer against its type
 *
 * Returns 0 when @size holds at least the fixed part, or -EMF_ERRNO__TRUNC
 * (errno set) for a buffer cut before it.
 */
int emf_event_type__check(const struct emf_event_type *type, size_t size);

/*
 * emf_event_type__field - look a field up by name
 *
 * Returns the field (owned by @type) or NULL with errno ENOENT.
 */
const struct emf_field *emf_event_type__field(const struct emf_event_type *type, const char *name);

/* emf_field_kind_str - "int", "uint", "bool", ...; never NULL */
const char *emf_field_kind_str(enum emf_field_kind kind);

/*
 * Field selections: some of an event type's fields, in a chosen order,
 * rendered from its field table rather than by the compiled renderers (as
 * emf-agent --fields does). A selection is compiled once: names resolved to
 * offsets, column widths, the header and the JSON keys; rendering an event
 * then neither looks names up nor allocates.
 *
 * The rules are the compiled renderers': the same text per kind, the same
 * column widths (a column as wide as its title, a nested field's title being
 * its path, IN.PORT), the same JSON keys and types with the _name companions
 * of named numbers. A nested field goes into its struct's JSON object
 * ("in":{"port":1}), the fields of one struct together, where the first of
 * them was given. Selecting every field (@list NULL) writes what the
 * compiled renderers write, except that a multi-dimensional array comes out
 * flat ([1,2,3,4], not [[1,2],[3,4]]): the field table keeps its element
 * count, not its dimensions.
 */
struct emf_fields;

/*
 * emf_fields__new - compile a selection of @type's fields
 * @list: field names separated by commas ("pid,comm,path"), a.b for a member
 *        of a nested struct or union; NULL for every field (text then leaves
 *        the timestamp out, as the compiled renderer does; a timestamp named
 *        in @list shows as its number)
 * @fields: set to the selection, which the caller frees with
 *          emf_fields__free(); it points into @type, so it must not outlive
 *          the plugin's code
 * @err: on error, one line saying what is wrong (may be NULL)
 *
 * Returns 0; -EINVAL (errno set) for an empty or unknown name, or a field
 * given twice or together with its struct, with @err saying which and, for
 * an unknown one, which fields the type has; or -ENOMEM.
 */
int emf_fields__new(const struct emf_event_type *type, const char *list,
		    struct emf_fields **fields, char *err, size_t err_size);

/* emf_fields__free - free @fields (NULL is fine). */
void emf_fields__free(struct emf_fields *fields);

/* emf_fields__type - the event type @fields was compiled for. */
const struct emf_event_type *emf_fields__type(const struct emf_fields *fields);

/* emf_fields__text_header - column titles of emf_fields__text(), no newline; owned by @fields. */
const char *emf_fields__text_header(const struct emf_fields *fields);

/* Upper bounds of what emf_fields__text() and emf_fields__json() write for one event. */
size_t emf_fields__text_max(const struct emf_fields *fields);
size_t emf_fields__json_max(const struct emf_fields *fields);

/*
 * emf_fields__text - the selected fields of the event at @data as aligned
 * columns, no newline
 * @p: room for emf_fields__text_max() bytes
 * @size: the event's size, at least the type's min_size (a trailing array
 *        shows what arrived)
 *
 * Returns the end of what was written; it cannot fail.
 */
char *emf_fields__text(const struct emf_fields *fields, char *p, const void *data, size_t size);

/*
 * emf_fields__json - the selected fields as JSON members ("a":1,"b":"x"),
 * without braces or newline, as the type's render_json writes all of them
 * @p: room for emf_fields__json_max() bytes
 *
 * Returns the end of what was written; it cannot fail.
 */
char *emf_fields__json(const struct emf_fields *fields, char *p, const void *data, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* __EMF_EVENT_H */
