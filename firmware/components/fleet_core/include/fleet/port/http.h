/**
 * @file port/http.h
 * @brief Port interface: one blocking HTTPS GET with an optional Range header.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Callbacks for one response; returning non-OK from either aborts the transfer. */
struct fleet_http_response_handler {
  /**
   * Called once, before the body.
   * @param status HTTP status code.
   * @param content_range Value of Content-Range, NUL-terminated, or NULL if absent.
   * @param content_length Value of Content-Length, or UINT64_MAX if absent.
   */
  enum fleet_status (*on_headers)(void *ctx, int status, const char *content_range,
                                  uint64_t content_length);
  /** Called for each piece of the body, in order. */
  enum fleet_status (*on_body)(void *ctx, const uint8_t *data, size_t len);
  void *ctx;
};

/**
 * GET @p url, sending "Range: <range>" if @p range is not NULL.
 *
 * @param url NUL-terminated http(s) URL.
 * @param range Range header value such as "bytes=65536-", or NULL.
 * @param handler Response callbacks.
 * @return FLEET_OK when the body was received completely; the status a callback returned when it
 *         aborted; FLEET_ERR_NETWORK for a dropped or failed connection.
 */
enum fleet_status fleet_port_http_get(const char *url, const char *range,
                                      const struct fleet_http_response_handler *handler);

#ifdef __cplusplus
}
#endif
