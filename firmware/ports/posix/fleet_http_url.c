#include "fleet_http_url.h"

#include <string.h>

static bool prv_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum fleet_status fleet_http_url_parse(const char *url, struct fleet_http_url *out,
                                       const char **why) {
  memset(out, 0, sizeof(*out));
  const char *p = url;
  if (prv_prefix(p, "https://")) {
    out->tls = true;
    out->port = 443;
    p += 8;
  } else if (prv_prefix(p, "http://")) {
    out->port = 80;
    p += 7;
  } else {
    *why = "scheme is not http:// or https://";
    return FLEET_ERR_PARSE;
  }
  size_t authority_len = strcspn(p, "/?#");
  const char *authority_end = p + authority_len;
  if (memchr(p, '@', authority_len) != NULL) {
    *why = "userinfo (user@host) is not supported";
    return FLEET_ERR_PARSE;
  }
  const char *host = p;
  const char *host_end;
  const char *port = NULL;
  if (*p == '[') {
    host = p + 1;
    host_end = memchr(host, ']', (size_t)(authority_end - host));
    if (host_end == NULL) {
      *why = "IPv6 address without its closing ']'";
      return FLEET_ERR_PARSE;
    }
    if (host_end + 1 < authority_end) {
      if (host_end[1] != ':') {
        *why = "text after the IPv6 address that is not a port";
        return FLEET_ERR_PARSE;
      }
      port = host_end + 2;
    }
  } else {
    host_end = memchr(p, ':', authority_len);
    if (host_end != NULL)
      port = host_end + 1;
    else
      host_end = authority_end;
  }
  size_t host_len = (size_t)(host_end - host);
  if (host_len == 0) {
    *why = "no host";
    return FLEET_ERR_PARSE;
  }
  if (host_len > FLEET_HTTP_HOST_MAX_LENGTH) {
    *why = "host longer than 253 characters";
    return FLEET_ERR_PARSE;
  }
  memcpy(out->host, host, host_len);
  if (port != NULL) {
    uint32_t value = 0;
    if (port == authority_end) {
      *why = "empty port";
      return FLEET_ERR_PARSE;
    }
    for (const char *d = port; d < authority_end; d++) {
      if (*d < '0' || *d > '9' || (value = value * 10u + (uint32_t)(*d - '0')) > 65535u) {
        *why = "port is not a number from 1 to 65535";
        return FLEET_ERR_PARSE;
      }
    }
    if (value == 0) {
      *why = "port is not a number from 1 to 65535";
      return FLEET_ERR_PARSE;
    }
    out->port = (uint16_t)value;
  }
  size_t target_len = strcspn(authority_end, "#");
  if (target_len == 0 || *authority_end != '/') {
    /* "http://host" or "http://host?q": the target starts with "/" (RFC 9112 section 3.2.1) */
    if (target_len != 0) {
      *why = "query without a path";
      return FLEET_ERR_PARSE;
    }
    out->target = "/";
    out->target_len = 1;
  } else {
    out->target = authority_end;
    out->target_len = target_len;
  }
  for (size_t i = 0; i < out->target_len; i++) {
    unsigned char c = (unsigned char)out->target[i];
    if (c <= 0x20 || c >= 0x7F) {
      *why = "path or query holds a space, control or non-ASCII character (not percent-encoded)";
      return FLEET_ERR_PARSE;
    }
  }
  return FLEET_OK;
}
