/**
 * @file device.h
 * @brief The device application: ties provisioning, the jobs client, the OTA download and the
 *        boot flow together over the port interface. One instance, driven by fleet_device_step()
 *        from the port's main loop (POSIX: fleet-device; ESP-IDF: the app task).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fleet/backoff.h"
#include "fleet/config.h"
#include "fleet/credentials.h"
#include "fleet/jobs.h"
#include "fleet/json.h"
#include "fleet/ota.h"
#include "fleet/provisioning.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Give up a download after this many failed attempts in a row and report FAILED. */
#ifndef FLEET_CONFIG_OTA_MAX_ATTEMPTS
#define FLEET_CONFIG_OTA_MAX_ATTEMPTS 5
#endif

/** Report IN_PROGRESS at most every this many bytes. */
#ifndef FLEET_CONFIG_OTA_PROGRESS_BYTES
#define FLEET_CONFIG_OTA_PROGRESS_BYTES (256 * 1024)
#endif

/** Configuration of the application. */
struct fleet_device_config {
  const char *provisioning_template; /**< Fleet provisioning template name. */
  const char *thing_name_prefix;     /**< Claim client id is "<prefix>-<serial>" (claim policy). */
  uint32_t verify_timeout_ms; /**< Time a new app has to confirm itself; 0: the config default. */
};

/** Top-level state. */
enum fleet_device_state {
  FLEET_DEVICE_PROVISIONING,
  FLEET_DEVICE_CONNECTING,
  FLEET_DEVICE_ONLINE,
  FLEET_DEVICE_OFFLINE_BACKOFF,
};

/** Everything the application holds: ~20 KB, fixed, independent of the image size. */
struct fleet_device {
  enum fleet_device_state state;
  struct fleet_device_config config;
  char serial[FLEET_SERIAL_MAX_LENGTH + 1];
  char running_descriptor_version[FLEET_VERSION_MAX_LENGTH + 1];
  char running_release[FLEET_VERSION_MAX_LENGTH + 1];
  uint32_t running_secure_version;
  struct fleet_credentials creds;
  struct fleet_provisioning prov;
  struct fleet_jobs jobs;
  struct fleet_ota ota;
  struct fleet_ota_record boot_record;
  enum fleet_ota_boot_outcome boot_outcome;
  uint64_t verify_deadline_ms;
  struct fleet_backoff connect_backoff;
  uint64_t reconnect_at_ms;
  bool download_pending;
  bool in_download;
  bool cancel_requested;
  char download_job[FLEET_JOB_ID_MAX_LENGTH + 1];
  /** The download's own copy: a reconnect re-initialises the jobs client while it runs. */
  struct fleet_job_document download_doc;
  bool jobs_ready;
  uint64_t download_not_before_ms;
  uint32_t download_failures;
  uint64_t last_progress_report;
  bool reboot_requested;
  struct fleet_json_token tokens[FLEET_CONFIG_JSON_MAX_TOKENS];
  char scratch[FLEET_CREDENTIALS_RECORD_MAX_LENGTH];
};

/**
 * Start the application: finish a pending OTA (boot check), then provision or connect.
 *
 * @param dev Instance (static storage).
 * @param config Configuration (strings must outlive @p dev).
 * @return FLEET_OK or a port error.
 */
enum fleet_status fleet_device_init(struct fleet_device *dev,
                                    const struct fleet_device_config *config);

/**
 * Run one iteration: deliver MQTT events, advance timers, run a pending download (blocking).
 *
 * @param dev Instance.
 * @return true while the application should keep running; false when it asked for a reboot
 *         (the port then restarts).
 */
bool fleet_device_step(struct fleet_device *dev);

#ifdef __cplusplus
}
#endif
