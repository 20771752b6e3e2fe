/**
 * @file fleet_http_response.h
 * @brief Incremental HTTP/1.1 response parser for one GET: status line and headers into a fixed
 *        buffer, then the body framed by Content-Length, chunked transfer coding, or the end of
 *        the connection (RFC 9112 section 6.3), handed to the port's response handler as it comes.
 *
 * Pure: the caller reads the socket and feeds whatever arrived, in pieces of any size. Interim
 * 1xx responses are skipped. The body is passed on without copying (slices of what was fed).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/port/http.h"
#include "fleet/status.h"

/** Largest status line + header block; S3 answers with under 1 KB. */
#define FLEET_HTTP_HEAD_MAX_LENGTH 4096

/** Parser state (about 4.3 KB: keep it static, not on a small stack). */
struct fleet_http_response {
  const struct fleet_http_response_handler *handler;
  char head[FLEET_HTTP_HEAD_MAX_LENGTH];
  size_t head_len;
  int state;
  int status;
  bool chunked;
  bool has_length;
  uint64_t length;    /**< Content-Length, if has_length. */
  uint64_t remaining; /**< Body or chunk bytes still to come. */
  char chunk_line[64];
  size_t chunk_line_len;
  const char *why; /**< What was wrong, when a call returned FLEET_ERR_PARSE. */
};

/**
 * Start parsing a response.
 *
 * @param r Parser.
 * @param handler Receives on_headers once (with Content-Range and Content-Length) and on_body.
 */
void fleet_http_response_init(struct fleet_http_response *r,
                              const struct fleet_http_response_handler *handler);

/**
 * Feed bytes received from the server.
 *
 * @param r Parser.
 * @param data Bytes.
 * @param len Number of bytes.
 * @param consumed Receives how many bytes belonged to the response (the rest, after a complete
 *                 response, is not this response's).
 * @return FLEET_OK; FLEET_ERR_PARSE for a malformed response (r->why says what); or what a
 *         handler callback returned.
 */
enum fleet_status fleet_http_response_feed(struct fleet_http_response *r, const uint8_t *data,
                                           size_t len, size_t *consumed);

/** True once the whole response (headers and framed body) has been fed. */
bool fleet_http_response_complete(const struct fleet_http_response *r);

/**
 * The server closed the connection. A body delimited by the close ends here; anything else is
 * cut short.
 *
 * @param r Parser.
 * @return FLEET_OK if the response is complete; FLEET_ERR_NETWORK if it was cut short (r->why
 *         says where); or what on_headers/on_body returned for a close-delimited body.
 */
enum fleet_status fleet_http_response_end(struct fleet_http_response *r);
