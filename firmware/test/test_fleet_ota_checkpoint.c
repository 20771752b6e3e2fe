/* The time gate on OTA checkpoints (FLEET_CONFIG_OTA_CHECKPOINT_MIN_INTERVAL_MS, default 1 s):
 * the offset is persisted on a 64 KB boundary only if a second has passed since the last one. */
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
  /* the record is written when the download starts and when it is installed, nothing between */
  assert_int_equal(fake_port_storage_write_count() - writes_before, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_fleet_ota_download_checkpoints_at_most_once_per_interval,
                                      prv_setup, prv_teardown),
      cmocka_unit_test_setup_teardown(test_fleet_ota_download_skips_checkpoints_on_a_fast_link,
                                      prv_setup, prv_teardown),
  };
  return cmocka_run_group_tests_name("fleet_ota_checkpoint", tests, NULL, NULL);
}
