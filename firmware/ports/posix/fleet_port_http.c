/* HTTP port: one blocking HTTP/1.1 GET over a socket, with TLS from mbedTLS for https URLs, into
 * buffers sized at compile time. Sends "Range: <range>" exactly as given and "Connection: close";
 * the response goes through fleet_http_response (headers, then the body as it arrives, without
 * copying it again). Replaces libcurl, which with the TLS and LDAP libraries Debian builds it
 * against held 200 KB of heap in fleet-device before the first byte of an OTA. No redirects (a
 * presigned URL answers itself). A connection gets 10 s; a transfer that delivers no byte for
 * 30 s counts as a drop (the OTA resumes from its last checkpoint). The server certificate is
 * checked against the CA file and the URL's host name; Debian's mbedTLS 2.28 matches DNS names
 * only, so an https URL with an IP address fails verification (S3 URLs carry names). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fleet/config.h"
#include "fleet/port/http.h"
#include "fleet/port/log.h"
#include "fleet_http_response.h"
#include "fleet_http_url.h"
#include "fleet_posix_config.h"
#include "fleet_posix_main.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#define PRV_TAG "fleet_http"
#define PRV_CONNECT_TIMEOUT_MS 10000
#define PRV_STALL_TIMEOUT_S 30

/* Receive buffer: as large as a TLS record, so one read hands the core a record's worth. */
static uint8_t s_buf[16384];
static char s_request[FLEET_URL_MAX_LENGTH + 512];
static struct fleet_http_response s_response;

static mbedtls_entropy_context s_entropy;
static mbedtls_ctr_drbg_context s_drbg;
static bool s_drbg_ready;

struct prv_conn {
  const struct fleet_http_url *url;
  int fd;
  bool tls;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca;
};

void fleet_posix_http_init(void) {
  if (s_drbg_ready)
    return;
  static const unsigned char kPersonalization[] = "fleet-device-http";
  mbedtls_entropy_init(&s_entropy);
  mbedtls_ctr_drbg_init(&s_drbg);
  int rc = mbedtls_ctr_drbg_seed(&s_drbg, mbedtls_entropy_func, &s_entropy, kPersonalization,
                                 sizeof(kPersonalization) - 1);
  if (rc != 0) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "seeding the TLS random generator: -0x%04x",
                   (unsigned)-rc);
    return;
  }
  s_drbg_ready = true;
}

static enum fleet_status prv_error(const struct prv_conn *c, const char *what, const char *detail) {
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "GET %s://%s:%u: %s: %s",
                 c->url->tls ? "https" : "http", c->url->host, c->url->port, what, detail);
  return FLEET_ERR_NETWORK;
}

static enum fleet_status prv_tls_error(const struct prv_conn *c, const char *what, int rc) {
  char text[160];
  mbedtls_strerror(rc, text, sizeof(text));
  return prv_error(c, what, text);
}

/* Non-blocking connect bounded by PRV_CONNECT_TIMEOUT_MS, then a blocking socket whose reads and
 * writes time out after PRV_STALL_TIMEOUT_S. */
static int prv_connect_one(const struct addrinfo *ai, int *err) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int ready = errno == EINPROGRESS ? poll(&p, 1, PRV_CONNECT_TIMEOUT_MS) : -1;
    socklen_t len = sizeof(*err);
    *err = ready == 0 ? ETIMEDOUT : errno;
    if (ready <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0 || *err != 0) {
      close(fd);
      return -1;
    }
  }
  fcntl(fd, F_SETFL, flags);
  struct timeval tv = {.tv_sec = PRV_STALL_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

static enum fleet_status prv_connect(struct prv_conn *c) {
  char port[8];
  snprintf(port, sizeof(port), "%u", c->url->port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *list = NULL;
  int rc = getaddrinfo(c->url->host, port, &hints, &list);
  if (rc != 0)
    return prv_error(c, "resolve", gai_strerror(rc));
  int err = 0;
  for (const struct addrinfo *ai = list; ai != NULL && c->fd < 0; ai = ai->ai_next)
    c->fd = prv_connect_one(ai, &err);
  freeaddrinfo(list);
  return c->fd >= 0 ? FLEET_OK : prv_error(c, "connect", strerror(err));
}

/* mbedTLS I/O over the blocking socket; a read timeout is MBEDTLS_ERR_SSL_TIMEOUT. */
static int prv_bio_send(void *ctx, const unsigned char *buf, size_t len) {
  ssize_t n;
  do {
    n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n >= 0 ? (int)n : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int prv_bio_recv(void *ctx, unsigned char *buf, size_t len) {
  ssize_t n;
  do {
    n = recv(*(int *)ctx, buf, len, 0);
  } while (n < 0 && errno == EINTR);
  if (n >= 0)
    return (int)n;
  return errno == EAGAIN || errno == EWOULDBLOCK ? MBEDTLS_ERR_SSL_TIMEOUT
                                                 : MBEDTLS_ERR_NET_RECV_FAILED;
}

static enum fleet_status prv_tls_start(struct prv_conn *c) {
  const struct fleet_posix_config *cfg = fleet_posix_config();
  const char *ca = cfg->http_ca_file[0] != '\0' ? cfg->http_ca_file : cfg->ca_file;
  if (!s_drbg_ready)
    fleet_posix_http_init();
  if (!s_drbg_ready)
    return prv_error(c, "TLS", "no random generator");
  int rc = mbedtls_x509_crt_parse_file(&c->ca, ca);
  if (rc != 0) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "CA file %s (device.httpCaFile or mqtt.caFile)",
                   ca[0] != '\0' ? ca : "(none configured)");
    return prv_tls_error(c, "load CA certificates", rc);
  }
  if ((rc = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                        MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
    return prv_tls_error(c, "TLS configuration", rc);
  }
  mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
  mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &s_drbg);
  if ((rc = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0 ||
      (rc = mbedtls_ssl_set_hostname(&c->ssl, c->url->host)) != 0) {
    return prv_tls_error(c, "TLS setup", rc);
  }
  mbedtls_ssl_set_bio(&c->ssl, &c->fd, prv_bio_send, prv_bio_recv, NULL);
  while ((rc = mbedtls_ssl_handshake(&c->ssl)) != 0) {
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
      char why[256]; /* which check failed: CA, name, dates (one line per failed check) */
      int n = mbedtls_x509_crt_verify_info(why, sizeof(why), "",
                                           mbedtls_ssl_get_verify_result(&c->ssl));
      for (int i = 0; i < n; i++)
        why[i] = why[i] == '\n' ? (i + 1 < n ? ';' : '\0') : why[i];
      return prv_error(c, "TLS handshake: server certificate refused", n > 0 ? why : "?");
    }
    if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
      return prv_tls_error(c, "TLS handshake", rc);
  }
  c->tls = true;
  return FLEET_OK;
}

static enum fleet_status prv_send_all(struct prv_conn *c, const char *data, size_t len) {
  while (len > 0) {
    int n = c->tls ? mbedtls_ssl_write(&c->ssl, (const unsigned char *)data, len)
                   : prv_bio_send(&c->fd, (const unsigned char *)data, len);
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
      continue;
    if (n <= 0)
      return c->tls ? prv_tls_error(c, "send request", n) : prv_error(c, "send", strerror(errno));
    data += n;
    len -= (size_t)n;
  }
  return FLEET_OK;
}

/* Bytes received into s_buf; 0 at the end of the stream; < 0 after logging the error. */
static int prv_recv(struct prv_conn *c) {
  for (;;) {
    int n = c->tls ? mbedtls_ssl_read(&c->ssl, s_buf, sizeof(s_buf))
                   : prv_bio_recv(&c->fd, s_buf, sizeof(s_buf));
    if (n >= 0)
      return n;
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
      continue;
    if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
      return 0;
    if (n == MBEDTLS_ERR_SSL_TIMEOUT)
      (void)prv_error(c, "receive", "no data for 30 s");
    else if (c->tls)
      (void)prv_tls_error(c, "receive", n);
    else
      (void)prv_error(c, "receive", strerror(errno));
    return -1;
  }
}

/* "GET <target> HTTP/1.1" with Host (the port when not the scheme's default: a presigned URL
 * signs the Host header as the URL has it), Range, and Connection: close. */
static enum fleet_status prv_format_request(const struct fleet_http_url *url, const char *range,
                                            size_t *len) {
  bool ipv6 = strchr(url->host, ':') != NULL;
  char host[FLEET_HTTP_HOST_MAX_LENGTH + 10];
  int n = snprintf(host, sizeof(host), ipv6 ? "[%s]" : "%s", url->host);
  if (url->port != (url->tls ? 443 : 80))
    snprintf(host + n, sizeof(host) - (size_t)n, ":%u", url->port);
  n = snprintf(s_request, sizeof(s_request),
               "GET %.*s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fleet-device\r\nAccept: */*\r\n"
               "%s%s%sConnection: close\r\n\r\n",
               (int)url->target_len, url->target, host, range != NULL ? "Range: " : "",
               range != NULL ? range : "", range != NULL ? "\r\n" : "");
  if (n < 0 || (size_t)n >= sizeof(s_request))
    return FLEET_ERR_BUFFER_TOO_SMALL;
  *len = (size_t)n;
  return FLEET_OK;
}

static enum fleet_status prv_exchange(struct prv_conn *c, const char *range,
                                      const struct fleet_http_response_handler *handler) {
  size_t len = 0;
  if (prv_format_request(c->url, range, &len) != FLEET_OK)
    return prv_error(c, "request", "URL too long for the request buffer");
  FLEET_RETURN_IF_ERROR(prv_connect(c));
  if (c->url->tls)
    FLEET_RETURN_IF_ERROR(prv_tls_start(c));
  FLEET_RETURN_IF_ERROR(prv_send_all(c, s_request, len));
  fleet_http_response_init(&s_response, handler);
  enum fleet_status status = FLEET_OK;
  while (status == FLEET_OK && !fleet_http_response_complete(&s_response)) {
    int n = prv_recv(c);
    if (n < 0)
      return FLEET_ERR_NETWORK;
    if (n == 0) {
      status = fleet_http_response_end(&s_response);
      break;
    }
    size_t consumed = 0; /* bytes after a complete response are ignored (Connection: close) */
    status = fleet_http_response_feed(&s_response, s_buf, (size_t)n, &consumed);
  }
  if (s_response.why != NULL) /* the parser's verdict, not a handler's */
    return prv_error(c, "response", s_response.why);
  return status;
}

enum fleet_status fleet_port_http_get(const char *url, const char *range,
                                      const struct fleet_http_response_handler *handler) {
  struct fleet_http_url parsed;
  const char *why = NULL;
  if (fleet_http_url_parse(url, &parsed, &why) != FLEET_OK) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "download URL refused: %s", why);
    return FLEET_ERR_INVALID_ARG;
  }
  struct prv_conn c = {.url = &parsed, .fd = -1};
  mbedtls_ssl_init(&c.ssl);
  mbedtls_ssl_config_init(&c.conf);
  mbedtls_x509_crt_init(&c.ca);
  enum fleet_status status = prv_exchange(&c, range, handler);
  if (c.tls && status == FLEET_OK)
    (void)mbedtls_ssl_close_notify(&c.ssl);
  mbedtls_ssl_free(&c.ssl);
  mbedtls_ssl_config_free(&c.conf);
  mbedtls_x509_crt_free(&c.ca);
  if (c.fd >= 0)
    close(c.fd);
  return status;
}
