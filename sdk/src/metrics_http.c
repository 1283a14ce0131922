// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GET /metrics over HTTP, with libmicrohttpd: a thread per connection, so a
 * slow scraper holds up only itself, each answering from a reference on the
 * latest rendering the runtime's thread published (emf_metrics__publish()).
 * The listening socket is made here, so a bad address or a port in use gets a
 * message of its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <emf/errno.h>
#include <emf/metrics.h>

#include "log_internal.h"
#include "metrics_internal.h"
#include "opts_internal.h"

#ifdef HAVE_MHD
#include <microhttpd.h>

struct emf_metrics_server {
	struct emf_metrics *m;
	struct MHD_Daemon *d;
	int fd; /* the listening socket until the daemon owns it */
	int port;
	unsigned int wait_ms;
};

static const char ct_text[] = "text/plain; version=0.0.4; charset=utf-8";
static const char ct_om[] = "application/openmetrics-text; version=1.0.0; charset=utf-8";

static ssize_t snap_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct emf__msnap *s = cls;
	size_t n;

	if (pos >= s->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = s->len - pos < max ? s->len - pos : max;
	memcpy(buf, s->data + pos, n);
	return (ssize_t)n;
}

static void snap_free(void *cls)
{
	emf__msnap_put(cls);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req_cls)
{
	struct emf_metrics_server *srv = cls;
	enum emf_metrics_format fmt = EMF_METRICS_TEXT;
	struct MHD_Response *r;
	struct emf__msnap *s;
	enum MHD_Result ret;
	const char *accept;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics is served\n");
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: metrics are at /metrics\n");
	accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	if (accept && strstr(accept, "application/openmetrics-text"))
		fmt = EMF_METRICS_OPENMETRICS;
	s = emf__metrics_snapshot(srv->m, fmt, srv->wait_ms);
	if (!s)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "metrics not rendered yet: the runtime's thread did not publish them\n");
	r = MHD_create_response_from_callback(s->len, 64 * 1024, snap_read, s, snap_free);
	if (!r) {
		emf__msnap_put(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == EMF_METRICS_OPENMETRICS ? ct_om : ct_text);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static __attribute__((format(printf, 2, 0))) void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_info("metrics: http server: %s\n", msg);
}

/* "PORT", "ADDR:PORT", "[ADDR6]:PORT" into a socket address; 127.0.0.1 by default. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64] = "127.0.0.1";
	const char *port = addr, *colon;
	unsigned long v;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[') {
		colon = strstr(addr, "]:");
		if (!colon || colon - addr - 1 >= (long)sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 1), addr + 1);
		port = colon + 2;
	} else if ((colon = strrchr(addr, ':'))) {
		if (colon - addr >= (long)sizeof(host) || colon == addr)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		port = colon + 1;
	}
	errno = 0;
	v = strtoul(port, &end, 10);
	if (!*port || *end || errno || v > 65535 || port[0] == '-' || port[0] == '+')
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)v);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)v);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

struct emf_metrics_server *emf_metrics_server__new(struct emf_metrics *m, const char *addr,
						   const struct emf_metrics_server_opts *opts)
{
	struct emf_metrics_server *srv;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, err;

	if (!m || !addr || !OPTS_VALID(opts, emf_metrics_server_opts))
		return emf_err_ptr(-EINVAL);
	if (parse_listen(addr, &ss, &len)) {
		pr_warn("metrics: invalid listen address '%s': expected PORT, ADDR:PORT or [ADDR6]:PORT with a numeric address\n",
			addr);
		return emf_err_ptr(-EINVAL);
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return emf_err_ptr(-ENOMEM);
	srv->m = m;
	srv->wait_ms = OPTS_GET(opts, wait_ms, 0) ?: 2000;
	srv->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->fd < 0 || setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(srv->fd, (struct sockaddr *)&ss, len) || listen(srv->fd, 128) ||
	    getsockname(srv->fd, (struct sockaddr *)&ss, &len)) {
		err = -errno;
		pr_warn("metrics: failed to listen on %s: %s\n", addr, emf_strerror(err));
		goto err;
	}
	srv->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						    ((struct sockaddr_in6 *)&ss)->sin6_port);
	srv->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					  MHD_USE_ERROR_LOG |
					  (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET, srv->fd,
				  MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned int)(OPTS_GET(opts, max_connections, 0) ?: 128),
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)(OPTS_GET(opts, timeout_s, 0) ?: 10),
				  MHD_OPTION_THREAD_STACK_SIZE, (size_t)256 * 1024,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (!srv->d) {
		err = errno ? -errno : -ENOMEM;
		pr_warn("metrics: failed to start the HTTP server on %s: %s\n", addr,
			emf_strerror(err));
		/* Whether it closed a socket it was given on failure varies between versions. */
		if (fcntl(srv->fd, F_GETFD) < 0)
			srv->fd = -1;
		goto err;
	}
	srv->fd = -1; /* the daemon's now: MHD_stop_daemon() closes it */
	return srv;
err:
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
	return emf_err_ptr(err);
}

int emf_metrics_server__port(const struct emf_metrics_server *srv)
{
	return srv ? srv->port : emf_err(-EINVAL);
}

void emf_metrics_server__destroy(struct emf_metrics_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->d);
	free(srv);
}

bool emf_metrics_server__supported(void)
{
	return true;
}

#else /* !HAVE_MHD */

struct emf_metrics_server *emf_metrics_server__new(struct emf_metrics *m, const char *addr,
						   const struct emf_metrics_server_opts *opts)
{
	pr_warn("metrics: failed to serve %s: this SDK was built without libmicrohttpd (install libmicrohttpd-dev and reconfigure)\n",
		addr ?: "(null)");
	return emf_err_ptr(-EOPNOTSUPP);
}

int emf_metrics_server__port(const struct emf_metrics_server *srv)
{
	return emf_err(-EINVAL);
}

void emf_metrics_server__destroy(struct emf_metrics_server *srv)
{
}

bool emf_metrics_server__supported(void)
{
	return false;
}

#endif /* HAVE_MHD */
