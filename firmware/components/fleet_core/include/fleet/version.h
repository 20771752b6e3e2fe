/**
 * @file version.h
 * @brief Version policy for OTA: semantic versions and the secure_version (anti-rollback) rule.
 *
 * Versions follow Semantic Versioning 2.0.0 (https://semver.org): MAJOR.MINOR.PATCH with an
 * optional -prerelease and +build; a leading "v" is accepted. secure_version is the u32 at 0x24
 * of esp_app_desc_t; with CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK the bootloader refuses an app whose
 * secure_version is below the eFuse value (shared/docs/esp32-image.md, "On the device").
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed semantic version; prerelease points into the parsed string. */
struct fleet_version {
  uint32_t major;
  uint32_t minor;
  uint32_t patch;
  const char *prerelease; /**< Identifiers after '-', not NUL-terminated; NULL if none. */
  size_t prerelease_len;
};

/**
 * Parse a semantic version.
 *
 * Example: "v1.4.0-rc.1+g1cd5752" gives {1, 4, 0, "rc.1", 4}; build metadata is ignored.
 *
 * @param str Version text (need not be NUL-terminated).
 * @param len Length of @p str.
 * @param out Receives the version; it points into @p str.
 * @return FLEET_OK or FLEET_ERR_VERSION_FORMAT.
 */
enum fleet_status fleet_version_parse(const char *str, size_t len, struct fleet_version *out);

/**
 * Compare by semver precedence (build metadata ignored; a prerelease is lower than its release).
 *
 * @param a First version.
 * @param b Second version.
 * @return Negative if a < b, 0 if equal precedence, positive if a > b.
 */
int fleet_version_compare(const struct fleet_version *a, const struct fleet_version *b);

/** What the device knows when it decides whether to accept an image. */
struct fleet_version_policy_input {
  const char *running_version;     /**< NUL-terminated version of the running app. */
  uint32_t running_secure_version; /**< secure_version of the running app. */
  uint32_t secure_version_floor;   /**< Anti-rollback eFuse value (0 if not used). */
  const char *candidate_version;   /**< NUL-terminated version of the new image. */
  uint32_t candidate_secure_version;
};

/**
 * Decide whether an image may be installed: its version must be strictly newer than the running
 * one, and its secure_version at least the running app's and the eFuse floor.
 *
 * @param in Facts.
 * @return FLEET_OK; FLEET_ERR_VERSION_NOT_NEWER; FLEET_ERR_SECURE_VERSION;
 *         FLEET_ERR_VERSION_FORMAT if the candidate is not a semantic version. A running version
 *         that is not semver (a development build such as "1cd5752") accepts any valid candidate.
 */
enum fleet_status fleet_version_policy_check(const struct fleet_version_policy_input *in);

#ifdef __cplusplus
}
#endif
