/**
 * @file ota_verifier.h
 * @brief Streaming verification of a downloaded app image.
 *
 * Bytes are fed in order as they are written to the inactive slot. The first
 * FLEET_APP_IMAGE_PREFIX_LENGTH bytes are checked as soon as they are in (chip id, app descriptor,
 * version policy), so a wrong image is refused before the rest is downloaded. At the end the size,
 * the SHA-256 of the whole file and the detached signature are checked. The signature is the
 * AWS IoT OTA `sig-sha256-ecdsa` convention: ECDSA P-256 over the SHA-256 of the file, DER
 * (shared/docs/esp32-image.md, "AWS IoT OTA conventions").
 *
 * Version rule: the version compared with the running one is the declared version of the job
 * (the release pipeline checked it against the image); if the descriptor's own version is a
 * semantic version too, it must have the same precedence. Development builds carry a git hash
 * there ("1cd5752" in the fixture images), which is then only logged. secure_version always comes
 * from the descriptor.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/app_image.h"
#include "fleet/port/crypto.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the image must match; pointed-to data must outlive the verifier. */
struct fleet_ota_expectation {
  uint64_t size;                  /**< Exact size of the file in bytes. */
  const uint8_t *sha256;          /**< 32 bytes expected, or NULL to skip the hash comparison. */
  const uint8_t *signature_der;   /**< Detached ECDSA signature (DER). */
  size_t signature_len;           /**< Length of @ref signature_der. */
  const char *public_key_pem;     /**< Key the signature must verify against. */
  const char *declared_version;   /**< Version the job document declares; NULL: the descriptor's. */
  const char *descriptor_version; /**< Exact esp_app_desc_t.version expected; NULL: not checked. */
  uint16_t chip_id;               /**< This device's chip id. */
  const char *running_version;    /**< Version of the running app. */
  uint32_t running_secure_version;
  uint32_t secure_version_floor; /**< Anti-rollback eFuse value. */
};

/** Verifier state; all storage is inside (no allocation). */
struct fleet_ota_verifier {
  struct fleet_sha256 sha;
  struct fleet_ota_expectation expect;
  uint64_t received;
  uint8_t prefix[FLEET_APP_IMAGE_PREFIX_LENGTH];
  bool prefix_checked;
  struct fleet_app_image_info info;
  enum fleet_status failure; /**< First failure; later calls return it. */
};

/**
 * Start verifying a new download.
 *
 * @param v Verifier.
 * @param expect Expectations (copied; the pointers inside are not).
 * @return FLEET_OK, FLEET_ERR_INVALID_ARG, or a crypto port error.
 */
enum fleet_status fleet_ota_verifier_begin(struct fleet_ota_verifier *v,
                                           const struct fleet_ota_expectation *expect);

/**
 * Feed the next bytes of the file.
 *
 * @param v Verifier.
 * @param data Bytes.
 * @param len Number of bytes.
 * @return FLEET_OK; FLEET_ERR_IMAGE_TOO_LARGE past the expected size; the app image and version
 *         policy errors once the prefix is complete (FLEET_ERR_IMAGE_WRONG_CHIP,
 *         FLEET_ERR_IMAGE_NOT_APP, FLEET_ERR_VERSION_NOT_NEWER, FLEET_ERR_SECURE_VERSION, ...).
 */
enum fleet_status fleet_ota_verifier_update(struct fleet_ota_verifier *v, const uint8_t *data,
                                            size_t len);

/**
 * Check the complete file.
 *
 * @param v Verifier.
 * @param digest Receives the SHA-256 of the file (may be NULL).
 * @return FLEET_OK; FLEET_ERR_IMAGE_SIZE; FLEET_ERR_IMAGE_HASH; FLEET_ERR_IMAGE_SIGNATURE; or the
 *         first error update() returned.
 */
enum fleet_status fleet_ota_verifier_finish(struct fleet_ota_verifier *v, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif
