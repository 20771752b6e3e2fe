/**
 * @file job_document.h
 * @brief The OTA job document (schema version 1), as ota/job-document.ts writes it.
 *
 * Example (the value of execution.jobDocument in a notify-next or start-next reply):
 * @code
 * { "version": 1, "operation": "ota", "releaseId": "v1_4_0-3f9a0c1d2e4b5a69",
 *   "firmware": { "version": "1.4.0", "descriptorVersion": "1cd5752", "secureVersion": 0,
 *     "chip": "esp32", "size": 606208, "sha256": "<64 hex>", "url": "https://...",
 *     "signature": "<base64 DER>", "signatureAlgorithm": "sig-sha256-ecdsa",
 *     "keyId": "fleet-dev-1" } }
 * @endcode
 * Field limits come from JOB_DOCUMENT_LIMITS in ota/job-document.ts. Unknown fields are ignored
 * (a compatible addition keeps working); a different "version" is refused.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/config.h"
#include "fleet/json.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The only schema version this firmware reads (JOB_DOCUMENT_VERSION). */
#define FLEET_JOB_DOCUMENT_VERSION 1
/** RELEASE_ID_MAX in ota/release-manifest.ts. */
#define FLEET_RELEASE_ID_MAX_LENGTH 42
/** KEY_ID_MAX in ota/release-manifest.ts. */
#define FLEET_KEY_ID_MAX_LENGTH 128
/** Longest chip name ("esp32s3"); JOB_DOCUMENT_LIMITS allows 15. */
#define FLEET_CHIP_NAME_MAX_LENGTH 15
/** DETACHED_SIGNATURE_BASE64_MAX in ota/release-manifest.ts. */
#define FLEET_SIGNATURE_BASE64_MAX_LENGTH 96

/** A checked job document; strings are NUL-terminated copies. */
struct fleet_job_document {
  char release_id[FLEET_RELEASE_ID_MAX_LENGTH + 1];
  char version[FLEET_VERSION_MAX_LENGTH + 1];            /**< Release version (semver). */
  char descriptor_version[FLEET_VERSION_MAX_LENGTH + 1]; /**< esp_app_desc_t.version. */
  uint32_t secure_version;
  uint16_t chip_id;
  uint32_t size;
  uint8_t sha256[32];
  char url[FLEET_URL_MAX_LENGTH + 1];
  uint8_t signature[FLEET_SIGNATURE_DER_MAX_LENGTH];
  size_t signature_len;
  char key_id[FLEET_KEY_ID_MAX_LENGTH + 1];
};

/**
 * Read and check a job document.
 *
 * @param doc Parsed message.
 * @param object Index of the job document object inside @p doc.
 * @param out Receives the document.
 * @param bad_field Receives the dotted name of the first bad field ("firmware.sha256"), or NULL
 *        when the document is fine (may be NULL).
 * @return FLEET_OK or FLEET_ERR_JOB_DOCUMENT.
 */
enum fleet_status fleet_job_document_parse(const struct fleet_json *doc, int object,
                                           struct fleet_job_document *out, const char **bad_field);

/**
 * Chip id of an esptool chip name ("esp32" → 0x0000), as RELEASE_CHIPS in ota/release-manifest.ts.
 *
 * @param name NUL-terminated chip name.
 * @param chip_id Receives the id.
 * @return FLEET_OK or FLEET_ERR_NOT_FOUND.
 */
enum fleet_status fleet_job_document_chip_id(const char *name, uint16_t *chip_id);

/**
 * Decode standard base64 (RFC 4648 section 4, with padding).
 *
 * @param in Text.
 * @param len Length of @p in.
 * @param out Receives the bytes.
 * @param size Size of @p out.
 * @param out_len Receives the number of bytes.
 * @return FLEET_OK, FLEET_ERR_PARSE, FLEET_ERR_BUFFER_TOO_SMALL.
 */
enum fleet_status fleet_base64_decode(const char *in, size_t len, uint8_t *out, size_t size,
                                      size_t *out_len);

#ifdef __cplusplus
}
#endif
