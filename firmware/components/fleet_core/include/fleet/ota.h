/**
 * @file ota.h
 * @brief OTA download into the inactive slot, and the boot flow after the switch.
 *
 * Download: HTTP GET with Range from the persisted offset; 4 KB writes; the verifier checks the
 * prefix (chip, descriptor, versions) before anything is written and size/SHA-256/signature at
 * the end. Checkpoints: on a FLEET_CONFIG_OTA_CHECKPOINT_BYTES boundary, if at least
 * FLEET_CONFIG_OTA_CHECKPOINT_MIN_INTERVAL_MS passed since the last one, the slot is flushed
 * (fleet_port_ota_flush) and only then the record with the new offset is written (atomically), so
 * a record never claims bytes the flash does not hold durably. The first checkpoint creates the
 * record (a record of another download is removed before its slot is overwritten); before it
 * there is nothing to resume. A power cut resumes from the last checkpoint (the bytes before it
 * are read back and re-hashed, not downloaded again). On success the slot is flushed, the boot
 * slot is switched and the record says INSTALLED; the caller reboots.
 *
 * Boot: the record tells the new app which job it came from. Running from the target slot in
 * PENDING_VERIFY (a DOWNLOADING record for that slot counts as INSTALLED: the power cut came
 * between the switch and the record; with no record at all the app rolls back, and the old app
 * takes the job again): report SUCCEEDED, then mark the app valid
 * (esp_ota_mark_app_valid_cancel_rollback) once the report is accepted; if that does not happen
 * within FLEET_CONFIG_OTA_VERIFY_TIMEOUT_MS, roll back. Running from the previous slot with an
 * INSTALLED record: the bootloader rolled back; report FAILED with reason "rollback".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/config.h"
#include "fleet/job_document.h"
#include "fleet/ota_verifier.h"
#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Storage key of the OTA record. */
#define FLEET_OTA_RECORD_KEY "fleet_ota"
/** Storage key of the installed-release record (release version, slot and SHA-256 of the app
 * confirmed last). */
#define FLEET_APP_RECORD_KEY "fleet_app"

/** Phase of an OTA, persisted. */
enum fleet_ota_phase {
  FLEET_OTA_PHASE_NONE = 0,
  FLEET_OTA_PHASE_DOWNLOADING = 1, /**< Bytes [0, written) are durably in the target slot. */
  FLEET_OTA_PHASE_INSTALLED = 2,   /**< Verified, boot slot switched, waiting for the new app. */
};

/** The persisted OTA record (fixed layout; magic changes if the layout does). */
struct fleet_ota_record {
  uint32_t magic;
  uint32_t phase;
  char job_id[FLEET_JOB_ID_MAX_LENGTH + 1];
  char release_version[FLEET_VERSION_MAX_LENGTH + 1];
  char descriptor_version[FLEET_VERSION_MAX_LENGTH + 1];
  uint8_t sha256[32];
  uint32_t size;
  uint32_t written;
  uint8_t target_slot;
  uint8_t previous_slot;
};

/** What the boot check found. */
enum fleet_ota_boot_outcome {
  FLEET_OTA_BOOT_NORMAL,      /**< No OTA to finish. */
  FLEET_OTA_BOOT_NEW_APP,     /**< First boot of the new app: report SUCCEEDED, then mark valid. */
  FLEET_OTA_BOOT_ROLLED_BACK, /**< Back on the old app: report FAILED "rollback". */
  FLEET_OTA_BOOT_RESUMABLE,   /**< A download was interrupted; it resumes when the job returns. */
};

/** Device facts the download checks the image against. */
struct fleet_ota_device_facts {
  uint16_t chip_id;
  const char *running_version;
  uint32_t running_secure_version;
  uint32_t secure_version_floor;
  const char *public_key_pem;
};

/** Progress hook: called after each checkpoint; a non-OK return aborts (e.g. canceled job). */
struct fleet_ota_hooks {
  enum fleet_status (*on_progress)(void *ctx, uint64_t received, uint64_t total);
  void *ctx;
};

/** Download state with its fixed buffers (~5 KB). */
struct fleet_ota {
  struct fleet_ota_verifier verifier;
  struct fleet_ota_record record;
  uint8_t buf[FLEET_CONFIG_OTA_WRITE_SIZE];
  size_t buffered;
  uint64_t offset;             /**< Next slot offset to write. */
  uint64_t last_checkpoint_ms; /**< When the offset was last persisted. */
  uint64_t requested;
  struct fleet_ota_expectation expect;
  struct fleet_ota_hooks hooks;
  enum fleet_status failure;
  bool restarted; /**< The server ignored Range and the image restarted from 0. */
};

/**
 * Download, verify and install an image; blocks until done, failed or aborted. Call again after
 * a network failure: it resumes from the last checkpoint.
 *
 * @param ota State.
 * @param job_id Job execution this download belongs to.
 * @param doc Job document.
 * @param facts Device facts for the checks.
 * @param hooks Progress hook (may be NULL).
 * @return FLEET_OK when the boot slot was switched (reboot next); FLEET_ERR_NETWORK or
 *         FLEET_ERR_HTTP_* for transfer problems (retry later, progress kept); image and version
 *         errors (the record is cleared: a retry starts over); what the hook returned.
 */
enum fleet_status fleet_ota_download(struct fleet_ota *ota, const char *job_id,
                                     const struct fleet_job_document *doc,
                                     const struct fleet_ota_device_facts *facts,
                                     const struct fleet_ota_hooks *hooks);

/**
 * Reason code reported in statusDetails.reason for a failed download.
 *
 * @param status Status from fleet_ota_download().
 * @return A short, stable code such as "signature_invalid".
 */
const char *fleet_ota_reason(enum fleet_status status);

/**
 * Load the OTA record.
 *
 * @param record Receives the record (zeroed, phase NONE, if there is none or it is damaged).
 * @return FLEET_OK (also when there is no record) or a storage error.
 */
enum fleet_status fleet_ota_record_load(struct fleet_ota_record *record);

/**
 * Decide what this boot has to finish (call once at start, before connecting).
 *
 * @param record Receives the OTA record.
 * @param outcome Receives the outcome.
 * @return FLEET_OK or a port error.
 */
enum fleet_status fleet_ota_boot_check(struct fleet_ota_record *record,
                                       enum fleet_ota_boot_outcome *outcome);

/**
 * The new app's SUCCEEDED report was accepted: mark it valid, remember its release version, slot
 * and image SHA-256 (the installed-release record), and clear the record.
 *
 * @param record Record from fleet_ota_boot_check().
 * @return FLEET_OK or a port error.
 */
enum fleet_status fleet_ota_boot_confirm(const struct fleet_ota_record *record);

/**
 * Clear the OTA record (after FAILED "rollback" was accepted, or a job was canceled).
 *
 * @return FLEET_OK or a storage error.
 */
enum fleet_status fleet_ota_record_clear(void);

/**
 * Release version of the running app: the installed-release record if it belongs to the running
 * descriptor version, else the descriptor version itself.
 *
 * @param descriptor_version Version from the running app's descriptor.
 * @param out Receives the version.
 * @param size Size of @p out.
 */
void fleet_ota_running_release(const char *descriptor_version, char *out, size_t size);

/**
 * SHA-256 of the running image, as verified when it was downloaded: known only from the
 * installed-release record written by fleet_ota_boot_confirm(), and only if that record belongs
 * to the running descriptor version and the running slot. A factory image (or one confirmed by
 * a firmware whose record had no hash) has none.
 *
 * @param descriptor_version Version from the running app's descriptor.
 * @param out Receives the hash when known.
 * @return Whether the hash is known.
 */
bool fleet_ota_running_sha256(const char *descriptor_version, uint8_t out[32]);

/**
 * The job's release is the one running (docs/job-document.md, version policy: the one exception):
 * the same release version and the same image SHA-256. Then the job SUCCEEDS without a download;
 * otherwise the usual checks apply (an equal version is FAILED "version_not_newer").
 *
 * @param doc Job document.
 * @param running_release Release version of the running app.
 * @param running_sha256 SHA-256 of the running image, or NULL if unknown (the exception then
 *        never applies).
 * @return Whether the job's release is already installed.
 */
bool fleet_ota_already_installed(const struct fleet_job_document *doc, const char *running_release,
                                 const uint8_t *running_sha256);

#ifdef __cplusplus
}
#endif
