/* HTTP port fake: serves a buffer with real Range semantics (RFC 9110 section 14), delivering
 * the body in 1,400-byte pieces as a TCP stream would. */
#include "fake_port_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *s_data;
static size_t s_len;
static int s_ignore_range;
static size_t s_drop_after;
static char s_last_range[64];
static unsigned s_requests;
static uint64_t s_sent;

void fake_port_http_serve(const uint8_t *data, size_t len) {
  s_data = data;
  s_len = len;
  s_ignore_range = 0;
  s_drop_after = 0;
  s_last_range[0] = '\0';
  s_requests = 0;
  s_sent = 0;
}
void fake_port_http_ignore_range(int ignore) {
  s_ignore_range = ignore;
}
void fake_port_http_drop_after(size_t bytes) {
  s_drop_after = bytes;
}
const char *fake_port_http_last_range(void) {
  return s_last_range;
}
unsigned fake_port_http_request_count(void) {
  return s_requests;
}
uint64_t fake_port_http_bytes_sent(void) {
  return s_sent;
}

enum fleet_status fleet_port_http_get(const char *url, const char *range,
                                      const struct fleet_http_response_handler *handler) {
  (void)url;
  s_requests++;
  snprintf(s_last_range, sizeof(s_last_range), "%s", range != NULL ? range : "");
  size_t start = 0;
  char content_range[96];
  int status = 200;
  if (range != NULL && !s_ignore_range) {
    start = (size_t)strtoull(range + strlen("bytes="), NULL, 10);
    if (start >= s_len) {
      return handler->on_headers(handler->ctx, 416, NULL, 0);
    }
    status = 206;
    snprintf(content_range, sizeof(content_range), "bytes %zu-%zu/%zu", start, s_len - 1, s_len);
  }
  enum fleet_status rc = handler->on_headers(handler->ctx, status,
                                             status == 206 ? content_range : NULL, s_len - start);
  if (rc != FLEET_OK)
    return rc;
  size_t drop = s_drop_after;
  s_drop_after = 0;
  for (size_t pos = start, sent = 0; pos < s_len;) {
    size_t n = s_len - pos < 1400 ? s_len - pos : 1400;
    if (drop > 0 && sent + n > drop) {
      n = drop - sent;
      if (n > 0)
        (void)handler->on_body(handler->ctx, s_data + pos, n);
      s_sent += n;
      return FLEET_ERR_NETWORK;
    }
    rc = handler->on_body(handler->ctx, s_data + pos, n);
    if (rc != FLEET_OK)
      return rc;
    pos += n;
    sent += n;
    s_sent += n;
  }
  return FLEET_OK;
}
