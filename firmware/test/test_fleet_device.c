/* The device application over fakes: a job from start-next to reboot, the new app's first boot
 * (SUCCEEDED, then valid), the verify timeout (rollback), the old app after a rollback (FAILED
 * "rollback"), cancellation during the download, a corrupted download (FAILED), and a job of the
 * release already running (SUCCEEDED without download only if the image hash is the same). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_port_clock.h"
#include "fake_port_device.h"
#include "fake_port_http.h"
#include "fake_port_mqtt.h"
#include "fake_port_ota.h"
#include "fake_port_storage.h"
#include "fixture.h"
#include "fleet/device.h"
#include "mbedtls/base64.h"
#include "mbedtls/sha256.h"
#include "test_signer.h"

#define THING "esp32-dev-00AABBCC0001"
#define PREFIX "$aws/things/" THING "/jobs/"

static struct fleet_device s_dev;
static uint8_t *s_image;
static size_t s_len;
static char s_public_pem[256];
static char s_document[2048];
static struct fleet_json_token s_tokens[64];
static const struct fleet_device_config kConfig = {
    .provisioning_template = "esp32-fleet-dev-provision",
    .thing_name_prefix = "esp32-dev",
    .verify_timeout_ms = 5000,
};

/* The job document for s_image as release @p version; @p wrong_hash flips a bit of its sha256. */
static void prv_make_document_for(const char *version, bool wrong_hash) {
  uint8_t hash[32];
  uint8_t sig[128];
  size_t sig_len = sizeof(sig);
  assert_int_equal(mbedtls_sha256_ret(s_image, s_len, hash, 0), 0);
  test_signer_sign(s_image, s_len, s_public_pem, sizeof(s_public_pem), sig, &sig_len);
  unsigned char b64[128];
  size_t b64_len = 0;
  assert_int_equal(mbedtls_base64_encode(b64, sizeof(b64), &b64_len, sig, sig_len), 0);
  if (wrong_hash)
    hash[0] ^= 0x01;
  char hex[65];
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", hash[i]);
  snprintf(s_document, sizeof(s_document),
           "{\"version\":1,\"operation\":\"ota\",\"releaseId\":\"v1_2_0-0011223344556677\","
           "\"firmware\":{\"version\":\"%s\",\"descriptorVersion\":\"1cd5752\","
           "\"secureVersion\":0,\"chip\":\"esp32\",\"size\":%zu,\"sha256\":\"%s\","
           "\"url\":\"https://s3.local/fw.bin\",\"signature\":\"%.*s\","
           "\"signatureAlgorithm\":\"sig-sha256-ecdsa\",\"keyId\":\"k\"}}",
           version, s_len, hex, (int)b64_len, b64);
  fake_port_device_set_public_key(s_public_pem);
}

static void prv_make_document(void) {
  prv_make_document_for("1.2.0", false);
}

static int prv_setup(void **state) {
  (void)state;
  fake_port_ota_reset();
  fake_port_storage_reset();
  fake_port_mqtt_reset();
  fake_port_clock_set_ms(0);
  s_image = fixture_read("esp32-app-template.bin", &s_len);
  fake_port_http_serve(s_image, s_len);
  prv_make_document();
  struct fleet_credentials creds = {.thing_name = THING,
                                    .cert_pem = "-----BEGIN CERTIFICATE-----\n",
                                    .key_pem = "-----BEGIN EC PRIVATE KEY-----\n"};
  static char scratch[FLEET_CREDENTIALS_RECORD_MAX_LENGTH];
  assert_int_equal(fleet_credentials_store(&creds, scratch, sizeof(scratch)), FLEET_OK);
  return 0;
}

static int prv_teardown(void **state) {
  (void)state;
  free(s_image);
  return 0;
}

static const char *prv_last_start_token(void) {
  static char token[65];
  for (unsigned i = fake_port_mqtt_publish_count(); i > 0; i--) {
    const struct fake_mqtt_publish *p = fake_port_mqtt_publish_at(i - 1);
    if (strcmp(p->topic, PREFIX "start-next") == 0) {
      struct fleet_json doc;
      assert_int_equal(fleet_json_parse(&doc, p->payload, p->len, s_tokens, 64, NULL), FLEET_OK);
      assert_int_equal(fleet_json_get_string(&doc, fleet_json_find(&doc, 0, "clientToken"), token,
                                             sizeof(token), NULL),
                       FLEET_OK);
      return token;
    }
  }
  fail_msg("no start-next published");
  return NULL;
}

/* Boot (init), connect, and answer start-next with job @p job_id. */
static void prv_boot_and_get(const char *job_id) {
  assert_int_equal(fleet_device_init(&s_dev, &kConfig), FLEET_OK);
  assert_false(fake_port_mqtt_last_connect_was_claim());
  assert_string_equal(fake_port_mqtt_last_client_id(), THING);
  fake_port_mqtt_connected();
  static char reply[4096];
  snprintf(reply, sizeof(reply),
           "{\"clientToken\":\"%s\",\"execution\":{\"jobId\":\"%s\",\"status\":\"QUEUED\","
           "\"jobDocument\":%s}}",
           prv_last_start_token(), job_id, s_document);
  fake_port_mqtt_deliver(PREFIX "start-next/accepted", reply);
}

static void prv_boot_and_get_job(void) {
  prv_boot_and_get("ota-1");
}

/* The last publish on the update topic of @p job_id, or NULL. */
static const struct fake_mqtt_publish *prv_last_update_of(const char *job_id) {
  char topic[128];
  snprintf(topic, sizeof(topic), PREFIX "%s/update", job_id);
  for (unsigned i = fake_port_mqtt_publish_count(); i > 0; i--) {
    const struct fake_mqtt_publish *p = fake_port_mqtt_publish_at(i - 1);
    if (strcmp(p->topic, topic) == 0)
      return p;
  }
  return NULL;
}

static const struct fake_mqtt_publish *prv_last_update(void) {
  return prv_last_update_of("ota-1");
}

static void prv_install(void) {
  prv_boot_and_get_job();
  assert_false(fleet_device_step(&s_dev)); /* downloads, verifies, switches: reboot */
  assert_int_equal(fake_port_ota_boot_slot(), 1);
  assert_non_null(strstr(prv_last_update()->payload, "\"status\":\"IN_PROGRESS\""));
}

static void test_fleet_device_new_app_reports_succeeded_then_marks_valid(void **state) {
  (void)state;
  prv_install();
  fake_port_mqtt_reset();
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_PENDING_VERIFY); /* the reboot */
  memset(&s_dev, 0, sizeof(s_dev));
  prv_boot_and_get_job();
  assert_non_null(strstr(prv_last_update()->payload, "\"status\":\"SUCCEEDED\""));
  assert_non_null(strstr(prv_last_update()->payload, "\"version\":\"1.2.0\""));
  assert_int_equal(fake_port_ota_mark_valid_count(), 0); /* not before the cloud accepted it */
  fake_port_mqtt_deliver(PREFIX "ota-1/update/accepted", "{\"timestamp\":1}");
  assert_int_equal(fake_port_ota_mark_valid_count(), 1);
  assert_string_equal(s_dev.running_release, "1.2.0");
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_NONE);
  fake_port_clock_set_ms(60000); /* past the verify deadline: nothing happens any more */
  assert_true(fleet_device_step(&s_dev));
  assert_int_equal(fake_port_ota_rollback_count(), 0);
}

static void test_fleet_device_new_app_rolls_back_when_it_cannot_confirm_in_time(void **state) {
  (void)state;
  prv_install();
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_PENDING_VERIFY);
  memset(&s_dev, 0, sizeof(s_dev));
  assert_int_equal(fleet_device_init(&s_dev, &kConfig), FLEET_OK); /* never connects */
  fake_port_clock_set_ms(4999);
  assert_true(fleet_device_step(&s_dev));
  fake_port_clock_set_ms(5000);
  assert_false(fleet_device_step(&s_dev));
  assert_int_equal(fake_port_ota_rollback_count(), 1);
  assert_int_equal(fake_port_ota_mark_valid_count(), 0);
}

static void test_fleet_device_old_app_reports_failed_rollback(void **state) {
  (void)state;
  prv_install();
  fake_port_mqtt_reset();
  fake_port_ota_boot(0, FLEET_OTA_IMAGE_VALID); /* the bootloader went back to slot 0 */
  memset(&s_dev, 0, sizeof(s_dev));
  prv_boot_and_get_job();
  const struct fake_mqtt_publish *p = prv_last_update();
  assert_non_null(strstr(p->payload, "\"status\":\"FAILED\""));
  assert_non_null(strstr(p->payload, "\"reason\":\"rollback\""));
  fake_port_mqtt_deliver(PREFIX "ota-1/update/accepted", "{\"timestamp\":1}");
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_NONE);
  assert_true(fleet_device_step(&s_dev)); /* and it does not download the job again */
  assert_int_equal(fake_port_ota_boot_slot(), -1);
}

static void test_fleet_device_stops_download_when_job_canceled(void **state) {
  (void)state;
  prv_boot_and_get_job();
  /* arrives while the download runs: the next notify-next no longer names ota-1 */
  fake_port_mqtt_queue(PREFIX "notify-next", "{\"timestamp\":99}", 1); /* skip step's own */
  assert_true(fleet_device_step(&s_dev));
  assert_int_equal(fake_port_ota_boot_slot(), -1);
  assert_true(fake_port_http_bytes_sent() < s_len);
  assert_null(strstr(prv_last_update()->payload, "FAILED"));
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_NONE);
}

static void test_fleet_device_download_survives_a_reconnect_midway(void **state) {
  (void)state;
  prv_boot_and_get_job();
  fake_port_mqtt_queue(NULL, NULL, 1); /* the connection comes back while the download runs */
  assert_false(fleet_device_step(&s_dev));
  assert_int_equal(fake_port_ota_boot_slot(), 1);
  assert_memory_equal(fake_port_ota_slot(1), s_image, s_len);
}

static void test_fleet_device_reports_failed_for_corrupted_download(void **state) {
  (void)state;
  s_image[300000] ^= 0x01; /* served corrupted; the document has the good hash */
  prv_boot_and_get_job();
  assert_true(fleet_device_step(&s_dev));
  const struct fake_mqtt_publish *p = prv_last_update();
  assert_non_null(strstr(p->payload, "\"status\":\"FAILED\""));
  assert_non_null(strstr(p->payload, "\"reason\":\"hash_mismatch\""));
  assert_int_equal(fake_port_ota_boot_slot(), -1);
}

/* ota-1 installed, its SUCCEEDED accepted (the app is confirmed), then a power cycle. */
static void prv_install_and_confirm(void) {
  prv_install();
  fake_port_mqtt_reset();
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_PENDING_VERIFY);
  memset(&s_dev, 0, sizeof(s_dev));
  prv_boot_and_get_job();
  fake_port_mqtt_deliver(PREFIX "ota-1/update/accepted", "{\"timestamp\":1}");
  assert_int_equal(fake_port_ota_mark_valid_count(), 1);
  fake_port_mqtt_reset();
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_VALID);
  memset(&s_dev, 0, sizeof(s_dev));
}

static void test_fleet_device_job_of_the_running_release_succeeds_without_download(void **state) {
  (void)state;
  prv_install_and_confirm();
  unsigned requests = fake_port_http_request_count();
  uint64_t written = fake_port_ota_bytes_written();
  prv_boot_and_get("ota-2"); /* the same release from another stage's group */
  assert_string_equal(s_dev.running_release, "1.2.0");
  assert_true(fleet_device_step(&s_dev));
  const struct fake_mqtt_publish *p = prv_last_update_of("ota-2");
  assert_non_null(p);
  assert_non_null(strstr(p->payload, "\"status\":\"SUCCEEDED\""));
  assert_non_null(strstr(p->payload, "\"version\":\"1.2.0\""));
  for (unsigned i = 0; i < fake_port_mqtt_publish_count(); i++) /* not even IN_PROGRESS */
    assert_null(strstr(fake_port_mqtt_publish_at(i)->payload, "IN_PROGRESS"));
  assert_int_equal(fake_port_http_request_count(), requests);
  assert_int_equal(fake_port_ota_bytes_written(), written);
  assert_int_equal(fake_port_ota_boot_slot(), -1);
  assert_int_equal(fake_port_ota_rollback_count(), 0);
}

static void test_fleet_device_same_version_with_another_hash_fails_not_newer(void **state) {
  (void)state;
  prv_install_and_confirm();
  prv_make_document_for("1.2.0", true); /* another build published as 1.2.0 */
  prv_boot_and_get("ota-2");
  assert_true(fleet_device_step(&s_dev));
  const struct fake_mqtt_publish *p = prv_last_update_of("ota-2");
  assert_non_null(strstr(p->payload, "\"status\":\"FAILED\""));
  assert_non_null(strstr(p->payload, "\"reason\":\"version_not_newer\""));
  assert_int_equal(fake_port_ota_boot_slot(), -1);
}

static void test_fleet_device_same_version_without_known_hash_fails_not_newer(void **state) {
  (void)state;
  /* The factory app (1.1.0, slot 0) has no installed-release record: its hash is unknown. */
  prv_make_document_for("1.1.0", false);
  prv_boot_and_get_job();
  assert_string_equal(s_dev.running_release, "1.1.0");
  assert_true(fleet_device_step(&s_dev));
  const struct fake_mqtt_publish *p = prv_last_update();
  assert_non_null(strstr(p->payload, "\"status\":\"FAILED\""));
  assert_non_null(strstr(p->payload, "\"reason\":\"version_not_newer\""));
  assert_int_equal(fake_port_ota_boot_slot(), -1);
}

static void test_fleet_device_provisions_when_no_credentials(void **state) {
  (void)state;
  fake_port_storage_reset();
  assert_int_equal(fleet_device_init(&s_dev, &kConfig), FLEET_OK);
  assert_int_equal(s_dev.state, FLEET_DEVICE_PROVISIONING);
  assert_true(fake_port_mqtt_last_connect_was_claim());
  assert_string_equal(fake_port_mqtt_last_client_id(), THING);
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, prv_setup, prv_teardown)
  const struct CMUnitTest tests[] = {
      T(test_fleet_device_new_app_reports_succeeded_then_marks_valid),
      T(test_fleet_device_new_app_rolls_back_when_it_cannot_confirm_in_time),
      T(test_fleet_device_old_app_reports_failed_rollback),
      T(test_fleet_device_stops_download_when_job_canceled),
      T(test_fleet_device_download_survives_a_reconnect_midway),
      T(test_fleet_device_reports_failed_for_corrupted_download),
      T(test_fleet_device_job_of_the_running_release_succeeds_without_download),
      T(test_fleet_device_same_version_with_another_hash_fails_not_newer),
      T(test_fleet_device_same_version_without_known_hash_fails_not_newer),
      T(test_fleet_device_provisions_when_no_credentials),
  };
#undef T
  return cmocka_run_group_tests_name("fleet_device", tests, NULL, NULL);
}
