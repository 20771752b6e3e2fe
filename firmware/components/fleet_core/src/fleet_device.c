#include "fleet/device.h"

#include <stdio.h>
#include <string.h>

#include "fleet/port/clock.h"
#include "fleet/port/device.h"
#include "fleet/port/mqtt.h"
#include "fleet/port/ota.h"

#define FLEET_LOG_TAG "fleet_device"
#include "fleet/log.h"

static void prv_connect_thing(struct fleet_device *dev, uint64_t now) {
  struct fleet_mqtt_identity identity = {.client_id = dev->creds.thing_name,
                                         .cert_pem = dev->creds.cert_pem,
                                         .key_pem = dev->creds.key_pem};
  dev->state = FLEET_DEVICE_CONNECTING;
  if (fleet_port_mqtt_connect(&identity) != FLEET_OK) {
    uint32_t delay = fleet_backoff_next_delay_ms(&dev->connect_backoff, fleet_port_random_u32());
    dev->state = FLEET_DEVICE_OFFLINE_BACKOFF;
    dev->reconnect_at_ms = now + delay;
  }
}

static void prv_finish_new_app(struct fleet_device *dev) {
  if (fleet_ota_boot_confirm(&dev->boot_record) == FLEET_OK) {
    dev->boot_outcome = FLEET_OTA_BOOT_NORMAL;
    fleet_ota_running_release(dev->running_descriptor_version, dev->running_release,
                              sizeof(dev->running_release));
  }
}

/* ---- jobs callbacks ---- */

static void prv_on_job(void *ctx, const char *job_id, const struct fleet_job_document *doc) {
  struct fleet_device *dev = ctx;
  if (dev->boot_outcome == FLEET_OTA_BOOT_NEW_APP) {
    if (strcmp(job_id, dev->boot_record.job_id) == 0) {
      /* The new app reached the endpoint: report, and mark valid once accepted. */
      (void)fleet_jobs_report(&dev->jobs, FLEET_JOB_SUCCEEDED, NULL, 0);
      return;
    }
    prv_finish_new_app(dev); /* its job is gone; it did reach the endpoint */
  } else if (dev->boot_outcome == FLEET_OTA_BOOT_ROLLED_BACK) {
    if (strcmp(job_id, dev->boot_record.job_id) == 0) {
      (void)fleet_jobs_report(&dev->jobs, FLEET_JOB_FAILED, "rollback", 0);
      return;
    }
    (void)fleet_ota_record_clear();
    dev->boot_outcome = FLEET_OTA_BOOT_NORMAL;
  }
  if (dev->in_download) {
    return; /* the same execution again after a reconnect: the running download continues */
  }
  snprintf(dev->download_job, sizeof(dev->download_job), "%s", job_id);
  dev->download_doc = *doc;
  dev->download_pending = true;
  dev->download_failures = 0;
  dev->download_not_before_ms = 0;
  dev->cancel_requested = false;
}

static void prv_on_job_refused(void *ctx, const char *job_id, const char *reason) {
  (void)ctx;
  FLEET_LOG_ERROR("job %s refused: %s", job_id, reason);
}

static void prv_on_no_job(void *ctx) {
  struct fleet_device *dev = ctx;
  if (dev->boot_outcome == FLEET_OTA_BOOT_NEW_APP) {
    prv_finish_new_app(dev);
  } else if (dev->boot_outcome == FLEET_OTA_BOOT_ROLLED_BACK) {
    (void)fleet_ota_record_clear();
    dev->boot_outcome = FLEET_OTA_BOOT_NORMAL;
  }
}

static void prv_on_canceled(void *ctx, const char *job_id) {
  struct fleet_device *dev = ctx;
  if (strcmp(job_id, dev->download_job) == 0) {
    dev->cancel_requested = true;
    dev->download_pending = false;
    if (!dev->in_download)
      (void)fleet_ota_record_clear();
  }
}

static void prv_on_terminal_accepted(void *ctx, const char *job_id, enum fleet_job_status status) {
  struct fleet_device *dev = ctx;
  if (strcmp(job_id, dev->boot_record.job_id) == 0) {
    if (dev->boot_outcome == FLEET_OTA_BOOT_NEW_APP && status == FLEET_JOB_SUCCEEDED) {
      prv_finish_new_app(dev);
    } else if (dev->boot_outcome == FLEET_OTA_BOOT_ROLLED_BACK) {
      (void)fleet_ota_record_clear();
      dev->boot_outcome = FLEET_OTA_BOOT_NORMAL;
    }
  }
}

/* ---- MQTT callbacks ---- */

static void prv_on_connected(void *ctx) {
  struct fleet_device *dev = ctx;
  uint64_t now = fleet_port_clock_ms();
  if (dev->state == FLEET_DEVICE_PROVISIONING) {
    fleet_provisioning_on_connected(&dev->prov, now);
    return;
  }
  FLEET_LOG_INFO("connected as %s (release %s)", dev->creds.thing_name, dev->running_release);
  fleet_backoff_reset(&dev->connect_backoff);
  dev->state = FLEET_DEVICE_ONLINE;
  static const struct fleet_jobs_callbacks kCallbacks = {
      .on_job = prv_on_job,
      .on_job_refused = prv_on_job_refused,
      .on_no_job = prv_on_no_job,
      .on_canceled = prv_on_canceled,
      .on_terminal_accepted = prv_on_terminal_accepted,
  };
  struct fleet_jobs_callbacks callbacks = kCallbacks;
  callbacks.ctx = dev;
  if (!dev->jobs_ready) {
    dev->jobs_ready = fleet_jobs_init(&dev->jobs, dev->creds.thing_name, &callbacks) == FLEET_OK;
  }
  if (!dev->jobs_ready || fleet_jobs_on_connected(&dev->jobs) != FLEET_OK) {
    FLEET_LOG_ERROR("cannot start the jobs client");
  }
}

static void prv_on_disconnected(void *ctx, enum fleet_status status) {
  struct fleet_device *dev = ctx;
  uint64_t now = fleet_port_clock_ms();
  if (dev->state == FLEET_DEVICE_PROVISIONING) {
    fleet_provisioning_on_disconnected(&dev->prov, status, now);
    return;
  }
  uint32_t delay = fleet_backoff_next_delay_ms(&dev->connect_backoff, fleet_port_random_u32());
  FLEET_LOG_WARN("disconnected (%s); reconnecting in %u ms", fleet_status_to_str(status),
                 (unsigned)delay);
  dev->state = FLEET_DEVICE_OFFLINE_BACKOFF;
  dev->reconnect_at_ms = now + delay;
}

static void prv_on_message(void *ctx, const char *topic, size_t topic_len, const uint8_t *payload,
                           size_t payload_len) {
  struct fleet_device *dev = ctx;
  (void)topic_len;
  struct fleet_json doc;
  size_t error_offset = 0;
  const struct fleet_json *parsed = &doc;
  if (fleet_json_parse(&doc, (const char *)payload, payload_len, dev->tokens,
                       FLEET_CONFIG_JSON_MAX_TOKENS, &error_offset) != FLEET_OK) {
    FLEET_LOG_WARN("payload on %s is not JSON we can read (byte %u)", topic,
                   (unsigned)error_offset);
    parsed = NULL;
  }
  uint64_t now = fleet_port_clock_ms();
  if (dev->state == FLEET_DEVICE_PROVISIONING) {
    (void)fleet_provisioning_on_message(&dev->prov, topic, parsed, now);
  } else if (!fleet_jobs_on_message(&dev->jobs, topic, parsed)) {
    FLEET_LOG_DEBUG("ignoring message on %s", topic);
  }
}

/* ---- OTA ---- */

static enum fleet_status prv_on_progress(void *ctx, uint64_t received, uint64_t total) {
  struct fleet_device *dev = ctx;
  (void)total;
  fleet_port_mqtt_dispatch(); /* a cancellation arrives as a message */
  if (dev->cancel_requested) {
    return FLEET_ERR_CANCELED;
  }
  if (received - dev->last_progress_report >= FLEET_CONFIG_OTA_PROGRESS_BYTES &&
      dev->state == FLEET_DEVICE_ONLINE) {
    dev->last_progress_report = received;
    (void)fleet_jobs_report(&dev->jobs, FLEET_JOB_IN_PROGRESS, NULL, received);
  }
  return FLEET_OK;
}

static void prv_run_download(struct fleet_device *dev, uint64_t now) {
  struct fleet_ota_device_facts facts = {
      .chip_id = fleet_port_device_chip_id(),
      .running_version = dev->running_release,
      .running_secure_version = dev->running_secure_version,
      .secure_version_floor = fleet_port_device_secure_version_floor(),
      .public_key_pem = fleet_port_device_firmware_public_key(),
  };
  struct fleet_ota_hooks hooks = {.on_progress = prv_on_progress, .ctx = dev};
  dev->download_pending = false;
  /* A job retried after the reboot, or a device in two stages' groups: the release runs already
   * (docs/job-document.md, version policy). Nothing is downloaded and no slot changes. */
  uint8_t running_sha256[32];
  bool hash_known = fleet_ota_running_sha256(dev->running_descriptor_version, running_sha256);
  if (fleet_ota_already_installed(&dev->download_doc, dev->running_release,
                                  hash_known ? running_sha256 : NULL)) {
    FLEET_LOG_INFO(
        "job %s: release %s with this SHA-256 is the running app: SUCCEEDED without "
        "download",
        dev->download_job, dev->download_doc.version);
    (void)fleet_jobs_report(&dev->jobs, FLEET_JOB_SUCCEEDED, NULL, 0);
    return;
  }
  dev->in_download = true;
  dev->last_progress_report = 0;
  (void)fleet_jobs_report(&dev->jobs, FLEET_JOB_IN_PROGRESS, NULL, 0);
  enum fleet_status status =
      fleet_ota_download(&dev->ota, dev->download_job, &dev->download_doc, &facts, &hooks);
  dev->in_download = false;
  if (status == FLEET_OK) {
    FLEET_LOG_INFO("rebooting into release %s", dev->download_doc.version);
    (void)fleet_port_mqtt_disconnect();
    dev->reboot_requested = true;
    return;
  }
  if (status == FLEET_ERR_CANCELED || dev->cancel_requested) {
    (void)fleet_ota_record_clear();
    return;
  }
  bool transient = status == FLEET_ERR_NETWORK || status == FLEET_ERR_HTTP_STATUS ||
                   status == FLEET_ERR_HTTP_RANGE || status == FLEET_ERR_IO;
  if (transient && ++dev->download_failures < FLEET_CONFIG_OTA_MAX_ATTEMPTS) {
    struct fleet_backoff b = {.failures = dev->download_failures - 1};
    dev->download_not_before_ms = now + fleet_backoff_next_delay_ms(&b, fleet_port_random_u32());
    dev->download_pending = true;
    return;
  }
  (void)fleet_jobs_report(&dev->jobs, FLEET_JOB_FAILED, fleet_ota_reason(status), 0);
}

enum fleet_status fleet_device_init(struct fleet_device *dev,
                                    const struct fleet_device_config *config) {
  if (dev == NULL || config == NULL || config->provisioning_template == NULL ||
      config->thing_name_prefix == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(dev, 0, sizeof(*dev));
  dev->config = *config;
  FLEET_RETURN_IF_ERROR(fleet_port_device_serial(dev->serial, sizeof(dev->serial)));
  FLEET_RETURN_IF_ERROR(fleet_port_device_app_version(dev->running_descriptor_version,
                                                      sizeof(dev->running_descriptor_version),
                                                      &dev->running_secure_version));
  fleet_ota_running_release(dev->running_descriptor_version, dev->running_release,
                            sizeof(dev->running_release));
  FLEET_RETURN_IF_ERROR(fleet_ota_boot_check(&dev->boot_record, &dev->boot_outcome));
  uint64_t now = fleet_port_clock_ms();
  if (dev->boot_outcome == FLEET_OTA_BOOT_NEW_APP) {
    dev->verify_deadline_ms =
        now + (config->verify_timeout_ms != 0 ? config->verify_timeout_ms
                                              : FLEET_CONFIG_OTA_VERIFY_TIMEOUT_MS);
  }
  FLEET_LOG_INFO("serial %s, app %s (release %s), slot %u", dev->serial,
                 dev->running_descriptor_version, dev->running_release,
                 fleet_port_ota_running_slot());
  struct fleet_mqtt_callbacks callbacks = {.on_connected = prv_on_connected,
                                           .on_disconnected = prv_on_disconnected,
                                           .on_message = prv_on_message,
                                           .ctx = dev};
  fleet_port_mqtt_set_callbacks(&callbacks);
  enum fleet_status status =
      fleet_credentials_load(&dev->creds, dev->scratch, sizeof(dev->scratch));
  if (status == FLEET_OK) {
    prv_connect_thing(dev, now);
    return FLEET_OK;
  }
  if (status != FLEET_ERR_NOT_FOUND) {
    FLEET_LOG_ERROR("credentials record unreadable (%s): provisioning again",
                    fleet_status_to_str(status));
  }
  dev->state = FLEET_DEVICE_PROVISIONING;
  char client_id[FLEET_THING_NAME_MAX_LENGTH + 1];
  snprintf(client_id, sizeof(client_id), "%s-%s", config->thing_name_prefix, dev->serial);
  return fleet_provisioning_start(&dev->prov, config->provisioning_template, dev->serial, client_id,
                                  now);
}

bool fleet_device_step(struct fleet_device *dev) {
  fleet_port_mqtt_dispatch();
  uint64_t now = fleet_port_clock_ms();
  if (dev->reboot_requested) {
    return false;
  }
  if (dev->boot_outcome == FLEET_OTA_BOOT_NEW_APP && now >= dev->verify_deadline_ms) {
    FLEET_LOG_ERROR("release %s did not confirm itself in time: rolling back",
                    dev->boot_record.release_version);
    (void)fleet_port_mqtt_disconnect();
    (void)fleet_port_ota_rollback_and_reboot();
    dev->reboot_requested = true;
    return false;
  }
  switch (dev->state) {
    case FLEET_DEVICE_PROVISIONING:
      fleet_provisioning_tick(&dev->prov, now);
      if (dev->prov.state == FLEET_PROVISIONING_DONE) {
        dev->creds = dev->prov.creds;
        prv_connect_thing(dev, now);
      }
      break;
    case FLEET_DEVICE_OFFLINE_BACKOFF:
      if (now >= dev->reconnect_at_ms)
        prv_connect_thing(dev, now);
      break;
    case FLEET_DEVICE_ONLINE:
      if (dev->download_pending && now >= dev->download_not_before_ms &&
          dev->jobs.state == FLEET_JOBS_ACTIVE) {
        prv_run_download(dev, now);
      }
      break;
    default:
      break;
  }
  return !dev->reboot_requested;
}
