#include <stdio.h>
#include <string.h>

#include "fleet/ota.h"
#include "fleet/port/clock.h"
#include "fleet/port/http.h"
#include "fleet/port/ota.h"
#include "fleet/port/storage.h"
#include "fleet/range.h"

#define FLEET_LOG_TAG "fleet_ota"
#include "fleet/log.h"

#define PRV_RECORD_MAGIC 0x464C4F31u /* "FLO1" */

const char *fleet_ota_reason(enum fleet_status status) {
  switch (status) {
    case FLEET_ERR_IMAGE_SIGNATURE:
      return "signature_invalid";
    case FLEET_ERR_IMAGE_HASH:
      return "hash_mismatch";
    case FLEET_ERR_IMAGE_SIZE:
    case FLEET_ERR_IMAGE_TOO_LARGE:
      return "size_mismatch";
    case FLEET_ERR_IMAGE_WRONG_CHIP:
      return "wrong_chip";
    case FLEET_ERR_IMAGE_NOT_APP:
    case FLEET_ERR_IMAGE_MAGIC:
    case FLEET_ERR_PARSE:
      return "not_an_app_image";
    case FLEET_ERR_VERSION_NOT_NEWER:
      return "version_not_newer";
    case FLEET_ERR_SECURE_VERSION:
      return "secure_version_too_low";
    case FLEET_ERR_VERSION_FORMAT:
    case FLEET_ERR_VERSION_MISMATCH:
      return "version_mismatch";
    case FLEET_ERR_CANCELED:
      return "canceled";
    case FLEET_ERR_HTTP_STATUS:
    case FLEET_ERR_HTTP_RANGE:
    case FLEET_ERR_NETWORK:
      return "download_failed";
    default:
      return "install_failed";
  }
}

enum fleet_status fleet_ota_record_load(struct fleet_ota_record *record) {
  size_t len = 0;
  memset(record, 0, sizeof(*record));
  enum fleet_status status =
      fleet_port_storage_read(FLEET_OTA_RECORD_KEY, record, sizeof(*record), &len);
  if (status == FLEET_ERR_NOT_FOUND) {
    memset(record, 0, sizeof(*record));
    return FLEET_OK;
  }
  if (status == FLEET_ERR_BUFFER_TOO_SMALL || (status == FLEET_OK && len != sizeof(*record)) ||
      (status == FLEET_OK && record->magic != PRV_RECORD_MAGIC)) {
    FLEET_LOG_WARN("OTA record of another layout (%u bytes): ignored", (unsigned)len);
    memset(record, 0, sizeof(*record));
    return FLEET_OK;
  }
  record->job_id[sizeof(record->job_id) - 1] = '\0';
  record->release_version[sizeof(record->release_version) - 1] = '\0';
  record->descriptor_version[sizeof(record->descriptor_version) - 1] = '\0';
  return status;
}

static enum fleet_status prv_save(const struct fleet_ota_record *record) {
  return fleet_port_storage_write(FLEET_OTA_RECORD_KEY, record, sizeof(*record));
}

enum fleet_status fleet_ota_record_clear(void) {
  return fleet_port_storage_erase(FLEET_OTA_RECORD_KEY);
}

/* Write the buffered block to the slot (after the verifier has seen it). */
static enum fleet_status prv_write_block(struct fleet_ota *ota) {
  if (ota->buffered == 0)
    return FLEET_OK;
  FLEET_RETURN_IF_ERROR(fleet_ota_verifier_update(&ota->verifier, ota->buf, ota->buffered));
  FLEET_RETURN_IF_ERROR(
      fleet_port_ota_write(ota->record.target_slot, ota->offset, ota->buf, ota->buffered));
  ota->offset += ota->buffered;
  ota->buffered = 0;
  if (ota->offset % FLEET_CONFIG_OTA_CHECKPOINT_BYTES == 0) {
    uint64_t now = fleet_port_clock_ms();
    /* "+ 1 >" rather than ">=": the interval may be configured as 0 */
    if (now - ota->last_checkpoint_ms + 1u > FLEET_CONFIG_OTA_CHECKPOINT_MIN_INTERVAL_MS) {
      /* Flush before the record: the persisted offset never runs ahead of the flash. */
      FLEET_RETURN_IF_ERROR(fleet_port_ota_flush(ota->record.target_slot));
      ota->record.written = (uint32_t)ota->offset;
      FLEET_RETURN_IF_ERROR(prv_save(&ota->record));
      ota->last_checkpoint_ms = now;
    }
    if (ota->hooks.on_progress != NULL) {
      FLEET_RETURN_IF_ERROR(ota->hooks.on_progress(ota->hooks.ctx, ota->offset, ota->record.size));
    }
  }
  return FLEET_OK;
}

/* Start (or restart) hashing from 0 and re-hash what is already in the slot before offset. */
static enum fleet_status prv_begin_at(struct fleet_ota *ota, uint64_t offset) {
  FLEET_RETURN_IF_ERROR(fleet_ota_verifier_begin(&ota->verifier, &ota->expect));
  for (uint64_t pos = 0; pos < offset; pos += sizeof(ota->buf)) {
    size_t n = sizeof(ota->buf);
    FLEET_RETURN_IF_ERROR(fleet_port_ota_read(ota->record.target_slot, pos, ota->buf, n));
    FLEET_RETURN_IF_ERROR(fleet_ota_verifier_update(&ota->verifier, ota->buf, n));
  }
  ota->offset = offset;
  ota->buffered = 0;
  ota->last_checkpoint_ms = fleet_port_clock_ms();
  return fleet_port_ota_begin(ota->record.target_slot, offset, ota->record.size);
}

static enum fleet_status prv_on_headers(void *ctx, int status, const char *content_range,
                                        uint64_t content_length) {
  struct fleet_ota *ota = ctx;
  (void)content_length;
  uint64_t body_offset = 0;
  FLEET_RETURN_IF_ERROR(fleet_range_check_response(ota->requested, ota->record.size, status,
                                                   content_range, &body_offset));
  if (body_offset != ota->offset) {
    /* 200 to a range request: the whole file comes again, so the image restarts at 0. */
    ota->restarted = true;
    ota->record.written = 0;
    FLEET_RETURN_IF_ERROR(prv_save(&ota->record));
    FLEET_RETURN_IF_ERROR(prv_begin_at(ota, 0));
  }
  return FLEET_OK;
}

static enum fleet_status prv_on_body(void *ctx, const uint8_t *data, size_t len) {
  struct fleet_ota *ota = ctx;
  while (len > 0) {
    size_t take = sizeof(ota->buf) - ota->buffered;
    if (take > len)
      take = len;
    memcpy(ota->buf + ota->buffered, data, take);
    ota->buffered += take;
    data += take;
    len -= take;
    if (ota->buffered == sizeof(ota->buf)) {
      enum fleet_status status = prv_write_block(ota);
      if (status != FLEET_OK) {
        ota->failure = status;
        return status;
      }
    }
  }
  return FLEET_OK;
}

/* Same image as the record describes? Then its progress can be reused. */
static bool prv_record_matches(const struct fleet_ota_record *r, const char *job_id,
                               const struct fleet_job_document *doc, uint8_t target) {
  return r->magic == PRV_RECORD_MAGIC && r->phase == FLEET_OTA_PHASE_DOWNLOADING &&
         strcmp(r->job_id, job_id) == 0 && r->size == doc->size &&
         memcmp(r->sha256, doc->sha256, sizeof(r->sha256)) == 0 && r->target_slot == target;
}

static enum fleet_status prv_prepare(struct fleet_ota *ota, const char *job_id,
                                     const struct fleet_job_document *doc,
                                     const struct fleet_ota_device_facts *facts) {
  uint8_t running = fleet_port_ota_running_slot();
  uint8_t target = running == 0 ? 1 : 0;
  if ((uint64_t)doc->size > fleet_port_ota_slot_size(target)) {
    FLEET_LOG_ERROR("image of %u bytes does not fit slot %u", (unsigned)doc->size, target);
    return FLEET_ERR_IMAGE_TOO_LARGE;
  }
  ota->expect = (struct fleet_ota_expectation){
      .size = doc->size,
      .sha256 = doc->sha256,
      .signature_der = doc->signature,
      .signature_len = doc->signature_len,
      .public_key_pem = facts->public_key_pem,
      .declared_version = doc->version,
      .descriptor_version = doc->descriptor_version,
      .chip_id = facts->chip_id,
      .running_version = facts->running_version,
      .running_secure_version = facts->running_secure_version,
      .secure_version_floor = facts->secure_version_floor,
  };
  FLEET_RETURN_IF_ERROR(fleet_ota_record_load(&ota->record));
  uint64_t resume = 0;
  if (prv_record_matches(&ota->record, job_id, doc, target)) {
    resume = fleet_range_resume_offset(ota->record.written, doc->size, FLEET_CONFIG_OTA_WRITE_SIZE);
    FLEET_LOG_INFO("resuming job %s at byte %llu of %u", job_id, (unsigned long long)resume,
                   (unsigned)doc->size);
  } else {
    /* A record of another download claims bytes of the slot this one overwrites: drop it first.
     * The new record is written at the first checkpoint; before that there is nothing to resume,
     * and a fast download saves the syncs. */
    if (ota->record.phase != FLEET_OTA_PHASE_NONE)
      FLEET_RETURN_IF_ERROR(fleet_ota_record_clear());
    memset(&ota->record, 0, sizeof(ota->record));
    ota->record.magic = PRV_RECORD_MAGIC;
    ota->record.phase = FLEET_OTA_PHASE_DOWNLOADING;
    snprintf(ota->record.job_id, sizeof(ota->record.job_id), "%s", job_id);
    snprintf(ota->record.release_version, sizeof(ota->record.release_version), "%s", doc->version);
    snprintf(ota->record.descriptor_version, sizeof(ota->record.descriptor_version), "%s",
             doc->descriptor_version);
    memcpy(ota->record.sha256, doc->sha256, sizeof(ota->record.sha256));
    ota->record.size = doc->size;
    ota->record.target_slot = target;
    ota->record.previous_slot = running;
  }
  ota->record.written = (uint32_t)resume;
  return prv_begin_at(ota, resume);
}

enum fleet_status fleet_ota_download(struct fleet_ota *ota, const char *job_id,
                                     const struct fleet_job_document *doc,
                                     const struct fleet_ota_device_facts *facts,
                                     const struct fleet_ota_hooks *hooks) {
  if (ota == NULL || job_id == NULL || doc == NULL || facts == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(ota, 0, sizeof(*ota));
  if (hooks != NULL)
    ota->hooks = *hooks;
  enum fleet_status status = prv_prepare(ota, job_id, doc, facts);
  char range[FLEET_RANGE_HEADER_MAX_LENGTH];
  if (status == FLEET_OK && ota->offset > 0) {
    status = fleet_range_format(ota->offset, range, sizeof(range));
  }
  if (status == FLEET_OK) {
    ota->requested = ota->offset;
    struct fleet_http_response_handler handler = {
        .on_headers = prv_on_headers, .on_body = prv_on_body, .ctx = ota};
    status = fleet_port_http_get(doc->url, ota->offset > 0 ? range : NULL, &handler);
    if (ota->failure != FLEET_OK)
      status = ota->failure;
  }
  if (status == FLEET_OK)
    status = prv_write_block(ota); /* the last, partial block */
  if (status == FLEET_OK)
    status = fleet_ota_verifier_finish(&ota->verifier, NULL);
  if (status == FLEET_OK)
    status = fleet_port_ota_flush(ota->record.target_slot);
  if (status == FLEET_OK)
    status = fleet_port_ota_set_boot_slot(ota->record.target_slot);
  if (status == FLEET_OK) {
    ota->record.phase = FLEET_OTA_PHASE_INSTALLED;
    ota->record.written = ota->record.size;
    status = prv_save(&ota->record);
    FLEET_LOG_INFO("release %s installed in slot %u; reboot next", ota->record.release_version,
                   ota->record.target_slot);
    return status;
  }
  bool transient = status == FLEET_ERR_NETWORK || status == FLEET_ERR_HTTP_STATUS ||
                   status == FLEET_ERR_HTTP_RANGE || status == FLEET_ERR_CANCELED ||
                   status == FLEET_ERR_IO;
  if (!transient) {
    /* A bad image: nothing of it is worth keeping. */
    (void)fleet_ota_record_clear();
  }
  FLEET_LOG_ERROR("download of job %s stopped at byte %llu: %s", job_id,
                  (unsigned long long)ota->offset, fleet_status_to_str(status));
  return status;
}
