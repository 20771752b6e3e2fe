#include "fleet/range.h"

#include <string.h>

#define FLEET_LOG_TAG "fleet_range"
#include "fleet/log.h"

uint64_t fleet_range_resume_offset(uint64_t persisted, uint64_t total, uint32_t write_size) {
  if (persisted > total || write_size == 0) {
    return 0;
  }
  return persisted - persisted % write_size;
}

enum fleet_status fleet_range_format(uint64_t offset, char *buf, size_t size) {
  if (offset == 0 || buf == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  char digits[21];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + offset % 10u);
    offset /= 10u;
  } while (offset != 0);
  static const char kPrefix[] = "bytes=";
  size_t need = sizeof(kPrefix) - 1 + n + 2;
  if (size < need) {
    return FLEET_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, kPrefix, sizeof(kPrefix) - 1);
  size_t pos = sizeof(kPrefix) - 1;
  while (n > 0)
    buf[pos++] = digits[--n];
  buf[pos++] = '-';
  buf[pos] = '\0';
  return FLEET_OK;
}

/* Decimal number at *s; advances *s. */
static int prv_parse_u64(const char **s, uint64_t *out) {
  const char *p = *s;
  uint64_t value = 0;
  if (*p < '0' || *p > '9')
    return 0;
  while (*p >= '0' && *p <= '9') {
    uint64_t digit = (uint64_t)(*p - '0');
    if (value > (UINT64_MAX - digit) / 10u)
      return 0;
    value = value * 10u + digit;
    p++;
  }
  *s = p;
  *out = value;
  return 1;
}

/* "bytes <first>-<last>/<complete>" (RFC 9110 section 14.4); complete may be "*". */
static int prv_parse_content_range(const char *s, uint64_t *first, uint64_t *last,
                                   uint64_t *complete, int *complete_known) {
  static const char kUnit[] = "bytes ";
  if (strncmp(s, kUnit, sizeof(kUnit) - 1) != 0)
    return 0;
  s += sizeof(kUnit) - 1;
  if (!prv_parse_u64(&s, first) || *s++ != '-' || !prv_parse_u64(&s, last) || *s++ != '/') {
    return 0;
  }
  if (*s == '*') {
    *complete_known = 0;
    s++;
  } else {
    *complete_known = 1;
    if (!prv_parse_u64(&s, complete))
      return 0;
  }
  while (*s == ' ' || *s == '\r' || *s == '\n')
    s++;
  return *s == '\0' && *first <= *last;
}

enum fleet_status fleet_range_check_response(uint64_t requested, uint64_t total, int http_status,
                                             const char *content_range, uint64_t *body_offset) {
  if (body_offset == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  if (http_status == 200) {
    if (requested > 0) {
      FLEET_LOG_WARN("server ignored Range bytes=%llu- (200): restarting the image from 0",
                     (unsigned long long)requested);
    }
    *body_offset = 0;
    return FLEET_OK;
  }
  if (http_status == 416) {
    FLEET_LOG_ERROR("server refused range bytes=%llu- (416)", (unsigned long long)requested);
    return FLEET_ERR_HTTP_RANGE;
  }
  if (http_status != 206) {
    FLEET_LOG_ERROR("HTTP status %d, expected 200 or 206", http_status);
    return FLEET_ERR_HTTP_STATUS;
  }
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t complete = 0;
  int complete_known = 0;
  if (content_range == NULL ||
      !prv_parse_content_range(content_range, &first, &last, &complete, &complete_known)) {
    FLEET_LOG_ERROR("206 with Content-Range \"%s\", expected \"bytes %llu-%llu/%llu\"",
                    content_range != NULL ? content_range : "(none)", (unsigned long long)requested,
                    (unsigned long long)(total - 1), (unsigned long long)total);
    return FLEET_ERR_HTTP_RANGE;
  }
  if (first != requested || (complete_known && complete != total) || last >= total) {
    FLEET_LOG_ERROR("Content-Range \"%s\" does not match bytes=%llu- of a %llu-byte image",
                    content_range, (unsigned long long)requested, (unsigned long long)total);
    return FLEET_ERR_HTTP_RANGE;
  }
  *body_offset = first;
  return FLEET_OK;
}
