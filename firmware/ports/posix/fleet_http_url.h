/**
 * @file fleet_http_url.h
 * @brief Splitting an http(s) URL into what a GET needs: scheme, host, port, request target.
 *
 * Pure: no I/O. Accepts "http://" and "https://" URLs with a host name, an IPv4 address or a
 * bracketed IPv6 address, an optional port, and an optional path and query (the fragment is
 * dropped). Userinfo ("user@host") is refused: a presigned URL never carries it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

/** Longest host name (RFC 1035: 253 characters). */
#define FLEET_HTTP_HOST_MAX_LENGTH 253

/** The parts of a URL; the request target points into the parsed URL. */
struct fleet_http_url {
  bool tls;                                  /**< https */
  char host[FLEET_HTTP_HOST_MAX_LENGTH + 1]; /**< Without brackets for IPv6. */
  uint16_t port;                             /**< 80 or 443 when not given. */
  const char *target;                        /**< "/path?query", never empty */
  size_t target_len;                         /**< Length of target ("/" when the URL has none). */
};

/**
 * Parse @p url.
 *
 * @param url NUL-terminated URL.
 * @param out Receives the parts (target points into @p url, or to a static "/").
 * @param why Receives what is wrong when the URL is refused (a static string).
 * @return FLEET_OK, or FLEET_ERR_PARSE with @p why set.
 */
enum fleet_status fleet_http_url_parse(const char *url, struct fleet_http_url *out,
                                       const char **why);
