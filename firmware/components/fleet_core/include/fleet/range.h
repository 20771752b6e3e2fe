/**
 * @file range.h
 * @brief Arithmetic of resumable downloads with HTTP Range requests (RFC 9110 section 14).
 *
 * The device persists how many bytes of the image are durably in the slot. After a drop or a
 * reboot it asks for "bytes=<offset>-". A server may honour it (206 with Content-Range
 * "bytes <offset>-<last>/<size>") or ignore it (200 with the whole file); esp_https_ota's docs
 * warn about the latter (shared/docs/esp32-image.md, "On the device").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** "bytes=18446744073709551615-" plus NUL. */
#define FLEET_RANGE_HEADER_MAX_LENGTH 28

/**
 * Offset to resume from, given the persisted progress.
 *
 * @param persisted Bytes recorded as written.
 * @param total Size of the image.
 * @param write_size Write unit; the result is aligned down to it.
 * @return The offset (0 when the record is beyond @p total, which means it belongs to another
 *         image or is corrupt).
 */
uint64_t fleet_range_resume_offset(uint64_t persisted, uint64_t total, uint32_t write_size);

/**
 * Format the Range header value for @p offset.
 *
 * @param offset First byte wanted (> 0).
 * @param buf Receives "bytes=<offset>-".
 * @param size Size of @p buf (FLEET_RANGE_HEADER_MAX_LENGTH).
 * @return FLEET_OK, FLEET_ERR_INVALID_ARG for offset 0, FLEET_ERR_BUFFER_TOO_SMALL.
 */
enum fleet_status fleet_range_format(uint64_t offset, char *buf, size_t size);

/**
 * Decide where the body of a response starts.
 *
 * @param requested Offset asked for (0: no Range header was sent).
 * @param total Expected size of the image.
 * @param http_status Status code of the response.
 * @param content_range Content-Range value or NULL.
 * @param body_offset Receives the image offset of the first body byte: @p requested for a
 *        matching 206, 0 for a 200 (the caller must restart the image from scratch).
 * @return FLEET_OK; FLEET_ERR_HTTP_RANGE for a 206 whose range is not the one asked for, for
 *         a total that differs, or for a 416; FLEET_ERR_HTTP_STATUS for any other status.
 */
enum fleet_status fleet_range_check_response(uint64_t requested, uint64_t total, int http_status,
                                             const char *content_range, uint64_t *body_offset);

#ifdef __cplusplus
}
#endif
