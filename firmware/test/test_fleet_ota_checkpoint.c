/* The OTA checkpoint scheme: the offset is persisted on a 64 KB boundary only if a second has
 * passed since the last one (FLEET_CONFIG_OTA_CHECKPOINT_MIN_INTERVAL_MS), always after the slot
 * was flushed, and not at all before the first checkpoint; a power cut at any point resumes into
 * a verified image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_port_clock.h"
#include "fake_port_http.h"
#include "fake_port_ota.h"
#include "fake_port_storage.h"
#include "fixture.h"
#include "fleet/ota.h"
#include "mbedtls/sha256.h"
#include "test_signer.h"

static uint8_t *s_image;
static size_t s_len;
static char s_public_pem[256];
static struct fleet_job_document s_doc;
static struct fleet_ota s_ota;
static struct fleet_ota_device_facts s_facts;
static uint64_t s_now;
static uint64_t s_step_ms;

/* Each 64 KB boundary takes s_step_ms of (fake) time. */
static enum fleet_status prv_on_progress(void *ctx, uint64_t received, uint64_t total) {
  (void)ctx;
  (void)received;
  (void)total;
  s_now += s_step_ms;
  fake_port_clock_set_ms(s_now);
  return FLEET_OK;
}

static const struct fleet_ota_hooks kHooks = {.on_progress = prv_on_progress};

static int prv_setup(void **state) {
  (void)state;
  fake_port_ota_reset();
  fake_port_storage_reset();
  s_now = 0;
  fake_port_clock_set_ms(0);
  s_image = fixture_read("esp32-app-template.bin", &s_len);
  fake_port_http_serve(s_image, s_len);
  memset(&s_doc, 0, sizeof(s_doc));
  strcpy(s_doc.version, "1.2.0");
  strcpy(s_doc.descriptor_version, "1cd5752");
  s_doc.size = (uint32_t)s_len;
  strcpy(s_doc.url, "https://firmware.local/app.bin");
  assert_int_equal(mbedtls_sha256_ret(s_image, s_len, s_doc.sha256, 0), 0);
  s_doc.signature_len = sizeof(s_doc.signature);
  test_signer_sign(s_image, s_len, s_public_pem, sizeof(s_public_pem), s_doc.signature,
                   &s_doc.signature_len);
  s_facts = (struct fleet_ota_device_facts){
      .chip_id = 0, .running_version = "1.1.0", .public_key_pem = s_public_pem};
  return 0;
}

static int prv_teardown(void **state) {
  (void)state;
  free(s_image);
  return 0;
}

static void test_fleet_ota_download_checkpoints_at_most_once_per_interval(void **state) {
  (void)state;
  s_step_ms = 300; /* boundary k is reached at 300*(k-1) ms; the first checkpoint needs 1000 */
  fake_port_http_drop_after(400000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.written, 5 * 65536);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  assert_string_equal(fake_port_http_last_range(), "bytes=327680-");
}

static void test_fleet_ota_download_skips_checkpoints_on_a_fast_link(void **state) {
  (void)state;
  s_step_ms = 0; /* everything arrives within the interval */
  unsigned writes_before = fake_port_storage_write_count();
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  /* the record is written once, when the image is installed: before the first checkpoint there
   * is nothing to resume */
  assert_int_equal(fake_port_storage_write_count() - writes_before, 1);
}

static void test_fleet_ota_download_drop_before_first_checkpoint_leaves_no_record(void **state) {
  (void)state;
  s_step_ms = 1000;
  fake_port_http_drop_after(30000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_NONE);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  assert_string_equal(fake_port_http_last_range(), ""); /* from byte 0, no Range */
}

static void test_fleet_ota_download_drops_record_of_another_job_before_overwriting_slot(
    void **state) {
  (void)state;
  s_step_ms = 1000;
  fake_port_http_drop_after(200000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_string_equal(record.job_id, "job-1");
  /* job-2 starts writing the same slot from byte 0 and drops before its first checkpoint: job-1's
   * record, whose bytes it overwrote, must be gone */
  fake_port_http_drop_after(30000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-2", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_NONE);
}

static unsigned s_checkpoints;

/* Each OTA record written while downloading claims bytes [0, written): they must already be in
 * the slot as a power cut would leave it. */
static void prv_check_record(const char *key, const void *data, size_t len) {
  struct fleet_ota_record record;
  if (strcmp(key, FLEET_OTA_RECORD_KEY) != 0)
    return;
  assert_int_equal(len, sizeof(record));
  memcpy(&record, data, sizeof(record));
  if (record.phase != FLEET_OTA_PHASE_DOWNLOADING)
    return;
  assert_memory_equal(fake_port_ota_durable_slot(record.target_slot), s_image, record.written);
  s_checkpoints++;
}

static void test_fleet_ota_download_checkpoint_never_claims_unflushed_bytes(void **state) {
  (void)state;
  s_step_ms = 1000; /* every 64 KB boundary checkpoints */
  s_checkpoints = 0;
  fake_port_storage_observe_writes(prv_check_record);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  assert_true(s_checkpoints >= 5);
}

static void test_fleet_ota_download_resumes_into_verified_image_after_power_cut_anywhere(
    void **state) {
  (void)state;
  /* every 64 KB boundary may checkpoint; the cut loses what was not flushed */
  const size_t cuts[] = {1000, 65536, 65536 + 4096, 3 * 65536 + 5000, 400000, s_len - 10};
  for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    fake_port_ota_reset();
    fake_port_storage_reset();
    s_step_ms = 1000;
    fake_port_http_drop_after(cuts[i]);
    assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                     FLEET_ERR_NETWORK);
    fake_port_ota_power_cut();
    struct fleet_ota_record record;
    assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
    assert_true(record.written <= cuts[i]);
    memset(&s_ota, 0, sizeof(s_ota)); /* the reboot */
    assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
    assert_memory_equal(fake_port_ota_slot(1), s_image, s_len);
    assert_int_equal(fake_port_ota_boot_slot(), 1);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fleet_ota_download_checkpoints_at_most_once_per_interval,
                                      prv_setup, prv_teardown),
      cmocka_unit_test_setup_teardown(test_fleet_ota_download_skips_checkpoints_on_a_fast_link,
                                      prv_setup, prv_teardown),
      cmocka_unit_test_setup_teardown(
          test_fleet_ota_download_drop_before_first_checkpoint_leaves_no_record, prv_setup,
          prv_teardown),
      cmocka_unit_test_setup_teardown(
          test_fleet_ota_download_drops_record_of_another_job_before_overwriting_slot, prv_setup,
          prv_teardown),
      cmocka_unit_test_setup_teardown(
          test_fleet_ota_download_checkpoint_never_claims_unflushed_bytes, prv_setup, prv_teardown),
      cmocka_unit_test_setup_teardown(
          test_fleet_ota_download_resumes_into_verified_image_after_power_cut_anywhere, prv_setup,
          prv_teardown),
  };
  return cmocka_run_group_tests_name("fleet_ota_checkpoint", tests, NULL, NULL);
}
