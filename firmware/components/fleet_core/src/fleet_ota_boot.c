#include <stdio.h>
#include <string.h>

#include "fleet/ota.h"
#include "fleet/port/ota.h"
#include "fleet/port/storage.h"

#define FLEET_LOG_TAG "fleet_boot"
#include "fleet/log.h"

/* Installed-release record: which release the descriptor version of the running app belongs to. */
struct prv_app_record {
  char release_version[FLEET_VERSION_MAX_LENGTH + 1];
  char descriptor_version[FLEET_VERSION_MAX_LENGTH + 1];
};

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
  FLEET_RETURN_IF_ERROR(fleet_port_storage_write(FLEET_APP_RECORD_KEY, &app, sizeof(app)));
  FLEET_LOG_INFO("release %s marked valid", record->release_version);
  return fleet_ota_record_clear();
}

void fleet_ota_running_release(const char *descriptor_version, char *out, size_t size) {
  struct prv_app_record app;
  size_t len = 0;
  if (fleet_port_storage_read(FLEET_APP_RECORD_KEY, &app, sizeof(app), &len) == FLEET_OK &&
      len == sizeof(app)) {
    app.release_version[sizeof(app.release_version) - 1] = '\0';
    app.descriptor_version[sizeof(app.descriptor_version) - 1] = '\0';
    if (strcmp(app.descriptor_version, descriptor_version) == 0) {
      snprintf(out, size, "%s", app.release_version);
      return;
    }
  }
  snprintf(out, size, "%s", descriptor_version);
}
