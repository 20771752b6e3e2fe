/* HTTP port over libcurl (easy interface): one blocking GET, Range sent as a header exactly as
 * given, status and Content-Range taken from the final response's headers. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fleet/port/http.h"
#include "fleet/port/log.h"
#include "fleet_posix_config.h"
#include "fleet_posix_main.h"

#define PRV_TAG "fleet_http"

struct prv_transfer {
  const struct fleet_http_response_handler *handler;
  int status;
  char content_range[96];
  int has_content_range;
  uint64_t content_length;
  int headers_delivered;
  enum fleet_status failure;
};

static size_t prv_on_header(char *data, size_t size, size_t count, void *ctx) {
  struct prv_transfer *t = ctx;
  size_t len = size * count;
  char line[256];
  size_t n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
  memcpy(line, data, n);
  line[n] = '\0';
  line[strcspn(line, "\r\n")] = '\0';
  int code = 0;
  if (sscanf(line, "HTTP/%*s %d", &code) == 1) {
    t->status = code; /* a new response (after 100 Continue) starts over */
    t->has_content_range = 0;
    t->content_length = UINT64_MAX;
  } else if (strncasecmp(line, "Content-Range:", 14) == 0) {
    const char *v = line + 14;
    while (*v == ' ')
      v++;
    snprintf(t->content_range, sizeof(t->content_range), "%s", v);
    t->has_content_range = 1;
  } else if (strncasecmp(line, "Content-Length:", 15) == 0) {
    unsigned long long v = 0;
    if (sscanf(line + 15, "%llu", &v) == 1)
      t->content_length = v;
  }
  return len;
}

static enum fleet_status prv_deliver_headers(struct prv_transfer *t) {
  if (t->headers_delivered)
    return FLEET_OK;
  t->headers_delivered = 1;
  return t->handler->on_headers(t->handler->ctx, t->status,
                                t->has_content_range ? t->content_range : NULL, t->content_length);
}

static size_t prv_on_body(char *data, size_t size, size_t count, void *ctx) {
  struct prv_transfer *t = ctx;
  size_t len = size * count;
  enum fleet_status status = prv_deliver_headers(t);
  if (status == FLEET_OK)
    status = t->handler->on_body(t->handler->ctx, (const uint8_t *)data, len);
  if (status != FLEET_OK) {
    t->failure = status;
    return 0; /* abort: CURLE_WRITE_ERROR */
  }
  return len;
}

void fleet_posix_http_init(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

enum fleet_status fleet_port_http_get(const char *url, const char *range,
                                      const struct fleet_http_response_handler *handler) {
  CURL *curl = curl_easy_init();
  if (curl == NULL)
    return FLEET_ERR_PLATFORM_BASE;
  struct prv_transfer t = {.handler = handler, .content_length = UINT64_MAX};
  struct curl_slist *headers = NULL;
  char range_header[64];
  if (range != NULL) {
    snprintf(range_header, sizeof(range_header), "Range: %s", range);
    headers = curl_slist_append(headers, range_header);
  }
  const struct fleet_posix_config *cfg = fleet_posix_config();
  const char *ca = cfg->http_ca_file[0] != '\0' ? cfg->http_ca_file : cfg->ca_file;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, prv_on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, prv_on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  /* A stalled transfer (under 1 KB/s for 30 s) counts as a drop; the download resumes. */
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  /* 4 KB receive buffer (the default is 16 KB): the core consumes 4 KB blocks anyway, and the
   * heap during an OTA stays small (scripts/bench/firmware-ota.bench.ts). */
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 4096L);
  CURLcode rc = curl_easy_perform(curl);
  enum fleet_status status = FLEET_OK;
  if (t.failure != FLEET_OK) {
    status = t.failure;
  } else if (rc != CURLE_OK) {
    fleet_port_log(FLEET_LOG_LEVEL_ERROR, PRV_TAG, "GET failed: %s", curl_easy_strerror(rc));
    status = FLEET_ERR_NETWORK;
  } else {
    status = prv_deliver_headers(&t); /* an empty body still has headers */
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}
