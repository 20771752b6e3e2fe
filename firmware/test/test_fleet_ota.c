#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_port_http.h"
#include "fake_port_ota.h"
#include "fake_port_storage.h"
#include "fixture.h"
#include "fleet/ota.h"
#include "fleet/port/storage.h"
#include "mbedtls/sha256.h"
#include "test_signer.h"

static uint8_t *s_image;
static size_t s_len;
static char s_public_pem[256];
static struct fleet_job_document s_doc;
static struct fleet_ota s_ota;
static struct fleet_ota_device_facts s_facts;
static unsigned s_progress_calls;
static enum fleet_status s_progress_result;

static enum fleet_status prv_on_progress(void *ctx, uint64_t received, uint64_t total) {
  (void)ctx;
  assert_true(received <= total);
  s_progress_calls++;
  return s_progress_result;
}

static const struct fleet_ota_hooks kHooks = {.on_progress = prv_on_progress};

static int prv_setup(void **state) {
  (void)state;
  fake_port_ota_reset();
  fake_port_storage_reset();
  s_image = fixture_read("esp32-app-template.bin", &s_len);
  fake_port_http_serve(s_image, s_len);
  memset(&s_doc, 0, sizeof(s_doc));
  strcpy(s_doc.release_id, "v1_2_0-0011223344556677");
  strcpy(s_doc.version, "1.2.0");
  strcpy(s_doc.descriptor_version, "1cd5752");
  s_doc.size = (uint32_t)s_len;
  strcpy(s_doc.url, "https://firmware.local/app.bin");
  assert_int_equal(mbedtls_sha256_ret(s_image, s_len, s_doc.sha256, 0), 0);
  s_doc.signature_len = sizeof(s_doc.signature);
  test_signer_sign(s_image, s_len, s_public_pem, sizeof(s_public_pem), s_doc.signature,
                   &s_doc.signature_len);
  s_facts = (struct fleet_ota_device_facts){
      .chip_id = 0x0000, .running_version = "1.1.0", .public_key_pem = s_public_pem};
  s_progress_calls = 0;
  s_progress_result = FLEET_OK;
  memset(&s_ota, 0xA5, sizeof(s_ota));
  return 0;
}

static int prv_teardown(void **state) {
  (void)state;
  free(s_image);
  return 0;
}

static void prv_assert_installed(void) {
  assert_memory_equal(fake_port_ota_slot(1), s_image, s_len);
  assert_int_equal(fake_port_ota_boot_slot(), 1);
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_INSTALLED);
  assert_string_equal(record.job_id, "job-1");
  assert_int_equal(record.target_slot, 1);
  assert_int_equal(record.previous_slot, 0);
}

static void test_fleet_ota_download_installs_verified_image_into_inactive_slot(void **state) {
  (void)state;
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  prv_assert_installed();
  assert_string_equal(fake_port_http_last_range(), "");
  assert_int_equal(s_progress_calls, s_len / FLEET_CONFIG_OTA_CHECKPOINT_BYTES);
}

static void test_fleet_ota_download_resumes_after_drop_without_starting_over(void **state) {
  (void)state;
  fake_port_http_drop_after(200000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  assert_int_equal(fake_port_ota_boot_slot(), -1);
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_DOWNLOADING);
  assert_int_equal(record.written, 3 * 65536); /* the last checkpoint before byte 200000 */
  (void)fake_port_ota_take_lowest_write_offset();
  uint64_t sent_before = fake_port_http_bytes_sent();
  /* a reboot: fresh state, same storage and flash */
  memset(&s_ota, 0, sizeof(s_ota));
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  assert_string_equal(fake_port_http_last_range(), "bytes=196608-");
  assert_true(fake_port_http_bytes_sent() - sent_before == s_len - 196608);
  assert_true(fake_port_ota_take_lowest_write_offset() == 196608);
  prv_assert_installed();
}

static void test_fleet_ota_download_restarts_from_zero_when_server_ignores_range(void **state) {
  (void)state;
  fake_port_http_drop_after(100000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  (void)fake_port_ota_take_lowest_write_offset();
  fake_port_http_ignore_range(1);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks), FLEET_OK);
  assert_string_equal(fake_port_http_last_range(), "bytes=65536-");
  assert_true(fake_port_ota_take_lowest_write_offset() == 0);
  assert_true(s_ota.restarted);
  prv_assert_installed();
}

static void test_fleet_ota_download_starts_over_for_another_job(void **state) {
  (void)state;
  fake_port_http_drop_after(200000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL), FLEET_ERR_NETWORK);
  assert_int_equal(fleet_ota_download(&s_ota, "job-2", &s_doc, &s_facts, NULL), FLEET_OK);
  assert_string_equal(fake_port_http_last_range(), "");
}

static void test_fleet_ota_download_fails_hash_for_corrupted_download(void **state) {
  (void)state;
  s_image[400000] ^= 0x10; /* corrupted in transit */
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL),
                   FLEET_ERR_IMAGE_HASH);
  assert_string_equal(fleet_ota_reason(FLEET_ERR_IMAGE_HASH), "hash_mismatch");
  assert_int_equal(fake_port_ota_boot_slot(), -1); /* the old slot still boots */
  struct fleet_ota_record record;
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_NONE);
}

static void test_fleet_ota_download_fails_signature_from_another_key(void **state) {
  (void)state;
  char other_pem[256];
  uint8_t sig[128];
  size_t sig_len = sizeof(sig);
  test_signer_sign(s_image, s_len, other_pem, sizeof(other_pem), sig, &sig_len);
  s_facts.public_key_pem = other_pem;
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL),
                   FLEET_ERR_IMAGE_SIGNATURE);
  assert_int_equal(fake_port_ota_boot_slot(), -1);
}

static void test_fleet_ota_download_refuses_wrong_chip_before_writing(void **state) {
  (void)state;
  s_facts.chip_id = 0x0009; /* an ESP32-S3 */
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL),
                   FLEET_ERR_IMAGE_WRONG_CHIP);
  assert_true(fake_port_ota_bytes_written() == 0);
}

static void test_fleet_ota_download_refuses_version_not_newer_before_writing(void **state) {
  (void)state;
  s_facts.running_version = "1.2.0";
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL),
                   FLEET_ERR_VERSION_NOT_NEWER);
  assert_true(fake_port_ota_bytes_written() == 0);
  assert_string_equal(fleet_ota_reason(FLEET_ERR_VERSION_NOT_NEWER), "version_not_newer");
}

static void test_fleet_ota_download_stops_when_hook_cancels(void **state) {
  (void)state;
  s_progress_result = FLEET_ERR_CANCELED;
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_CANCELED);
  assert_int_equal(s_progress_calls, 1);
  assert_true(fake_port_http_bytes_sent() < s_len);
  assert_int_equal(fake_port_ota_boot_slot(), -1);
}

static void test_fleet_ota_boot_check_reports_new_app_then_confirm_marks_valid(void **state) {
  (void)state;
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL), FLEET_OK);
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_PENDING_VERIFY);
  struct fleet_ota_record record;
  enum fleet_ota_boot_outcome outcome = FLEET_OTA_BOOT_NORMAL;
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_int_equal(outcome, FLEET_OTA_BOOT_NEW_APP);
  assert_int_equal(fake_port_ota_mark_valid_count(), 0); /* not before SUCCEEDED is accepted */
  assert_int_equal(fleet_ota_boot_confirm(&record), FLEET_OK);
  assert_int_equal(fake_port_ota_mark_valid_count(), 1);
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_int_equal(outcome, FLEET_OTA_BOOT_NORMAL);
  char release[33];
  fleet_ota_running_release("1cd5752", release, sizeof(release));
  assert_string_equal(release, "1.2.0");
  fleet_ota_running_release("other", release, sizeof(release));
  assert_string_equal(release, "other");
}

static void test_fleet_ota_confirm_keeps_the_running_image_hash(void **state) {
  (void)state;
  uint8_t hash[32];
  assert_false(fleet_ota_running_sha256("1.1.0", hash)); /* factory image: unknown */
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL), FLEET_OK);
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_PENDING_VERIFY);
  struct fleet_ota_record record;
  enum fleet_ota_boot_outcome outcome = FLEET_OTA_BOOT_NORMAL;
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_false(fleet_ota_running_sha256("1cd5752", hash)); /* not before the confirm */
  assert_int_equal(fleet_ota_boot_confirm(&record), FLEET_OK);
  memset(hash, 0, sizeof(hash));
  assert_true(fleet_ota_running_sha256("1cd5752", hash));
  assert_memory_equal(hash, s_doc.sha256, sizeof(hash));
  assert_true(fleet_ota_already_installed(&s_doc, "1.2.0", hash));
  assert_false(fleet_ota_running_sha256("other", hash)); /* another app was flashed */
  fake_port_ota_boot(0, FLEET_OTA_IMAGE_VALID);          /* the other slot runs */
  assert_false(fleet_ota_running_sha256("1cd5752", hash));
}

static void test_fleet_ota_already_installed_needs_version_and_hash(void **state) {
  (void)state;
  uint8_t other[32];
  memcpy(other, s_doc.sha256, sizeof(other));
  other[31] ^= 0x80;
  assert_true(fleet_ota_already_installed(&s_doc, "1.2.0", s_doc.sha256));
  assert_false(fleet_ota_already_installed(&s_doc, "1.2.0", other));
  assert_false(fleet_ota_already_installed(&s_doc, "1.2.0", NULL)); /* hash unknown */
  assert_false(fleet_ota_already_installed(&s_doc, "1.1.0", s_doc.sha256));
}

static void test_fleet_ota_app_record_without_hash_keeps_the_release(void **state) {
  (void)state;
  /* The installed-release record as firmware before the hash wrote it (two version strings). */
  char old[2 * (FLEET_VERSION_MAX_LENGTH + 1)];
  memset(old, 0, sizeof(old));
  strcpy(old, "1.2.0");
  strcpy(old + FLEET_VERSION_MAX_LENGTH + 1, "1cd5752");
  assert_int_equal(fleet_port_storage_write(FLEET_APP_RECORD_KEY, old, sizeof(old)), FLEET_OK);
  char release[33];
  fleet_ota_running_release("1cd5752", release, sizeof(release));
  assert_string_equal(release, "1.2.0");
  uint8_t hash[32];
  assert_false(fleet_ota_running_sha256("1cd5752", hash));
}

static void test_fleet_ota_boot_check_reports_rollback_on_old_slot(void **state) {
  (void)state;
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL), FLEET_OK);
  fake_port_ota_boot(0, FLEET_OTA_IMAGE_VALID); /* the bootloader went back to slot 0 */
  struct fleet_ota_record record;
  enum fleet_ota_boot_outcome outcome = FLEET_OTA_BOOT_NORMAL;
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_int_equal(outcome, FLEET_OTA_BOOT_ROLLED_BACK);
  assert_string_equal(record.job_id, "job-1");
}

static void test_fleet_ota_boot_check_finds_resumable_download(void **state) {
  (void)state;
  fake_port_http_drop_after(70000);
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL), FLEET_ERR_NETWORK);
  struct fleet_ota_record record;
  enum fleet_ota_boot_outcome outcome = FLEET_OTA_BOOT_NORMAL;
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_int_equal(outcome, FLEET_OTA_BOOT_RESUMABLE);
}

/* A power cut between the boot slot switch and the INSTALLED record. */
static void prv_switch_without_installed_record(void) {
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, NULL), FLEET_OK);
  assert_int_equal(fleet_ota_record_clear(), FLEET_OK);
  fake_port_ota_boot(1, FLEET_OTA_IMAGE_PENDING_VERIFY);
}

static void test_fleet_ota_boot_check_takes_downloading_record_of_switched_slot(void **state) {
  (void)state;
  fake_port_http_drop_after(200000); /* leaves a DOWNLOADING record */
  assert_int_equal(fleet_ota_download(&s_ota, "job-1", &s_doc, &s_facts, &kHooks),
                   FLEET_ERR_NETWORK);
  struct fleet_ota_record downloading;
  assert_int_equal(fleet_ota_record_load(&downloading), FLEET_OK);
  assert_int_equal(downloading.phase, FLEET_OTA_PHASE_DOWNLOADING);
  prv_switch_without_installed_record();
  assert_int_equal(
      fleet_port_storage_write(FLEET_OTA_RECORD_KEY, &downloading, sizeof(downloading)), FLEET_OK);
  struct fleet_ota_record record;
  enum fleet_ota_boot_outcome outcome = FLEET_OTA_BOOT_NORMAL;
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_int_equal(outcome, FLEET_OTA_BOOT_NEW_APP);
  assert_string_equal(record.job_id, "job-1");
  assert_int_equal(fake_port_ota_rollback_count(), 0);
  assert_int_equal(fleet_ota_record_load(&record), FLEET_OK);
  assert_int_equal(record.phase, FLEET_OTA_PHASE_INSTALLED);
}

static void test_fleet_ota_boot_check_rolls_back_switched_slot_without_record(void **state) {
  (void)state;
  prv_switch_without_installed_record();
  struct fleet_ota_record record;
  enum fleet_ota_boot_outcome outcome = FLEET_OTA_BOOT_NEW_APP;
  assert_int_equal(fleet_ota_boot_check(&record, &outcome), FLEET_OK);
  assert_int_equal(fake_port_ota_rollback_count(), 1);
  assert_int_equal(outcome, FLEET_OTA_BOOT_NORMAL);
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, prv_setup, prv_teardown)
  const struct CMUnitTest tests[] = {
      T(test_fleet_ota_download_installs_verified_image_into_inactive_slot),
      T(test_fleet_ota_download_resumes_after_drop_without_starting_over),
      T(test_fleet_ota_download_restarts_from_zero_when_server_ignores_range),
      T(test_fleet_ota_download_starts_over_for_another_job),
      T(test_fleet_ota_download_fails_hash_for_corrupted_download),
      T(test_fleet_ota_download_fails_signature_from_another_key),
      T(test_fleet_ota_download_refuses_wrong_chip_before_writing),
      T(test_fleet_ota_download_refuses_version_not_newer_before_writing),
      T(test_fleet_ota_download_stops_when_hook_cancels),
      T(test_fleet_ota_boot_check_reports_new_app_then_confirm_marks_valid),
      T(test_fleet_ota_confirm_keeps_the_running_image_hash),
      T(test_fleet_ota_already_installed_needs_version_and_hash),
      T(test_fleet_ota_app_record_without_hash_keeps_the_release),
      T(test_fleet_ota_boot_check_reports_rollback_on_old_slot),
      T(test_fleet_ota_boot_check_finds_resumable_download),
      T(test_fleet_ota_boot_check_takes_downloading_record_of_switched_slot),
      T(test_fleet_ota_boot_check_rolls_back_switched_slot_without_record),
  };
#undef T
  return cmocka_run_group_tests_name("fleet_ota", tests, NULL, NULL);
}
