/**
 * @file fleet_posix_config.h
 * @brief Configuration of the POSIX port (fleet-device --config <json> --state <dir>).
 *
 * The file has the shape of the local cloud's local-cloud.json (mqtt, claim,
 * provisioningTemplate), plus a "device" object:
 * @code
 * { "mqtt": { "host": "127.0.0.1", "port": 8883, "serverName": "localhost", "caFile": "ca.pem" },
 *   "claim": { "certFile": "claim.pem", "keyFile": "claim.key" },
 *   "provisioningTemplate": "fleet-dev-provisioning",
 *   "device": { "serial": "00AABBCC0001", "thingNamePrefix": "esp32-dev",
 *               "firmwareVersion": "1.0.0", "chip": "esp32",
 *               "firmwarePublicKeyFile": "firmware-signing.pub.pem",
 *               "firmwareImage": "app.bin", "slotSizeBytes": 4194304,
 *               "secureVersionFloor": 0, "verifyTimeoutMs": 120000, "httpCaFile": "ca.pem",
 *               "faultNoConnectVersion": "1cd5752" } }
 * @endcode
 * Relative paths are resolved against the directory of the configuration file.
 */
#pragma once

#include <stdint.h>

#include "fleet/status.h"

#define FLEET_POSIX_PATH_MAX 1024

/** Parsed configuration; strings are NUL-terminated, paths absolute or as given. */
struct fleet_posix_config {
  char mqtt_host[256];
  int mqtt_port;
  char mqtt_server_name[256];
  char ca_file[FLEET_POSIX_PATH_MAX];
  char claim_cert_file[FLEET_POSIX_PATH_MAX];
  char claim_key_file[FLEET_POSIX_PATH_MAX];
  char provisioning_template[64];
  char serial[65];
  char thing_name_prefix[64];
  char firmware_version[33];
  char chip[16];
  uint16_t chip_id;
  char public_key_file[FLEET_POSIX_PATH_MAX];
  char firmware_image[FLEET_POSIX_PATH_MAX];
  char http_ca_file[FLEET_POSIX_PATH_MAX];
  /** Fault injection: the app whose descriptor version is this never reaches MQTT (a broken
   * release, to exercise rollback). Empty: no fault. */
  char fault_no_connect_version[33];
  uint64_t slot_size;
  uint32_t secure_version_floor;
  uint32_t verify_timeout_ms;
  char state_dir[FLEET_POSIX_PATH_MAX];
};

/**
 * Load the configuration file.
 *
 * @param path Path of the JSON file.
 * @param state_dir State directory (flash file, records).
 * @param out Receives the configuration.
 * @return FLEET_OK, or FLEET_ERR_INVALID_ARG after printing which field is wrong.
 */
enum fleet_status fleet_posix_config_load(const char *path, const char *state_dir,
                                          struct fleet_posix_config *out);

/**
 * Use @p config as the configuration (tools that build it in code, such as fleet-ota-bench).
 *
 * @param config Configuration (copied).
 */
void fleet_posix_config_set(const struct fleet_posix_config *config);

/** The configuration loaded by fleet_posix_config_load() (ports read it). */
const struct fleet_posix_config *fleet_posix_config(void);
