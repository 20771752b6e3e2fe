#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fleet/ota.h"
#include "fleet/port/ota.h"
#include "fleet/port/storage.h"

#define FLEET_LOG_TAG "fleet_boot"
#include "fleet/log.h"

/* Installed-release record: which release the descriptor version of the running app belongs to,
 * and the slot and SHA-256 of the image confirmed (for the already-installed exception). A record
 * of the first layout ends after descriptor_version: its release counts, its hash is unknown. */
struct prv_app_record {
  char release_version[FLEET_VERSION_MAX_LENGTH + 1];
  char descriptor_version[FLEET_VERSION_MAX_LENGTH + 1];
  uint8_t sha256[32];
  uint8_t slot;
};
#define PRV_APP_RECORD_V1_LENGTH offsetof(struct prv_app_record, sha256)

/* Load the installed-release record; *has_hash says whether it is of the layout with the hash. */
static bool prv_app_record_load(struct prv_app_record *app, bool *has_hash) {
  size_t len = 0;
  memset(app, 0, sizeof(*app));
  if (fleet_port_storage_read(FLEET_APP_RECORD_KEY, app, sizeof(*app), &len) != FLEET_OK ||
      (len != sizeof(*app) && len != PRV_APP_RECORD_V1_LENGTH)) {
    return false;
  }
  app->release_version[sizeof(app->release_version) - 1] = '\0';
  app->descriptor_version[sizeof(app->descriptor_version) - 1] = '\0';
  *has_hash = len == sizeof(*app);
  return true;
}

enum fleet_status fleet_ota_boot_check(struct fleet_ota_record *record,
                                       enum fleet_ota_boot_outcome *outcome) {
  *outcome = FLEET_OTA_BOOT_NORMAL;
  FLEET_RETURN_IF_ERROR(fleet_ota_record_load(record));
  uint8_t running = fleet_port_ota_running_slot();
  if (record->phase != FLEET_OTA_PHASE_INSTALLED) {
    enum fleet_ota_image_state state = FLEET_OTA_IMAGE_VALID;
    FLEET_RETURN_IF_ERROR(fleet_port_ota_running_state(&state));
    if (state == FLEET_OTA_IMAGE_PENDING_VERIFY) {
      /* The boot slot was switched (only ever after the image was verified and flushed), and
       * the power cut came before the record said INSTALLED. */
      if (record->phase == FLEET_OTA_PHASE_DOWNLOADING && record->target_slot == running) {
        record->phase = FLEET_OTA_PHASE_INSTALLED;
        record->written = record->size;
        FLEET_RETURN_IF_ERROR(
            fleet_port_storage_write(FLEET_OTA_RECORD_KEY, record, sizeof(*record)));
        FLEET_LOG_WARN("first boot of release %s (job %s): installed before its record was",
                       record->release_version, record->job_id);
        *outcome = FLEET_OTA_BOOT_NEW_APP;
        return FLEET_OK;
      }
      /* No record names the job this app came from (the download was faster than its first
       * checkpoint): it cannot report, so the old app takes the job again. */
      FLEET_LOG_WARN("slot %u runs pending verify without a record of its download: rolling back",
                     running);
      return fleet_port_ota_rollback_and_reboot();
    }
  }
  if (record->phase == FLEET_OTA_PHASE_DOWNLOADING) {
    *outcome = FLEET_OTA_BOOT_RESUMABLE;
  } else if (record->phase == FLEET_OTA_PHASE_INSTALLED) {
    if (running == record->target_slot) {
      enum fleet_ota_image_state state = FLEET_OTA_IMAGE_VALID;
      FLEET_RETURN_IF_ERROR(fleet_port_ota_running_state(&state));
      /* VALID here means a crash after marking valid but before clearing the record: report
       * SUCCEEDED again (the update is idempotent) and finish. */
      FLEET_LOG_INFO("first boot of release %s (job %s)%s", record->release_version, record->job_id,
                     state == FLEET_OTA_IMAGE_PENDING_VERIFY ? ", pending verify" : "");
      *outcome = FLEET_OTA_BOOT_NEW_APP;
    } else {
      FLEET_LOG_ERROR("release %s did not confirm itself: the bootloader rolled back to slot %u",
                      record->release_version, running);
      *outcome = FLEET_OTA_BOOT_ROLLED_BACK;
    }
  }
  return FLEET_OK;
}

enum fleet_status fleet_ota_boot_confirm(const struct fleet_ota_record *record) {
  enum fleet_ota_image_state state = FLEET_OTA_IMAGE_VALID;
  FLEET_RETURN_IF_ERROR(fleet_port_ota_running_state(&state));
  if (state == FLEET_OTA_IMAGE_PENDING_VERIFY) {
    FLEET_RETURN_IF_ERROR(fleet_port_ota_mark_valid());
  }
  struct prv_app_record app;
  memset(&app, 0, sizeof(app));
  snprintf(app.release_version, sizeof(app.release_version), "%s", record->release_version);
  snprintf(app.descriptor_version, sizeof(app.descriptor_version), "%s",
           record->descriptor_version);
  memcpy(app.sha256, record->sha256, sizeof(app.sha256));
  app.slot = fleet_port_ota_running_slot();
  FLEET_RETURN_IF_ERROR(fleet_port_storage_write(FLEET_APP_RECORD_KEY, &app, sizeof(app)));
  FLEET_LOG_INFO("release %s marked valid", record->release_version);
  return fleet_ota_record_clear();
}

void fleet_ota_running_release(const char *descriptor_version, char *out, size_t size) {
  struct prv_app_record app;
  bool has_hash = false;
  if (prv_app_record_load(&app, &has_hash) &&
      strcmp(app.descriptor_version, descriptor_version) == 0) {
    snprintf(out, size, "%s", app.release_version);
    return;
  }
  snprintf(out, size, "%s", descriptor_version);
}

bool fleet_ota_running_sha256(const char *descriptor_version, uint8_t out[32]) {
  struct prv_app_record app;
  bool has_hash = false;
  /* A record of another app (e.g. a factory image flashed over the updated one) or of the other
   * slot (the bootloader fell back to an older app) does not describe the running image. */
  if (!prv_app_record_load(&app, &has_hash) || !has_hash ||
      strcmp(app.descriptor_version, descriptor_version) != 0 ||
      app.slot != fleet_port_ota_running_slot()) {
    return false;
  }
  memcpy(out, app.sha256, sizeof(app.sha256));
  return true;
}

bool fleet_ota_already_installed(const struct fleet_job_document *doc, const char *running_release,
                                 const uint8_t *running_sha256) {
  /* Without the running image's hash (factory image, no installed-release record) an equal
   * version cannot be told from a different build of it: the version policy decides (FAILED
   * "version_not_newer"). */
  return running_sha256 != NULL && strcmp(doc->version, running_release) == 0 &&
         memcmp(doc->sha256, running_sha256, sizeof(doc->sha256)) == 0;
}
