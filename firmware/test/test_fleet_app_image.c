#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "fleet/app_image.h"

static struct fleet_app_image_info s_info;

static int prv_setup(void **state) {
  (void)state;
  memset(&s_info, 0xA5, sizeof(s_info));
  return 0;
}

/* Facts from shared/fixtures/esp32/README.md (esptool image_info). */
static void test_fleet_app_image_parse_prefix_reads_esp32_app_template(void **state) {
  (void)state;
  size_t len = 0;
  uint8_t *image = fixture_read("esp32-app-template.bin", &len);
  assert_int_equal(len, 601808);
  assert_int_equal(
      fleet_app_image_parse_prefix(image, FLEET_APP_IMAGE_PREFIX_LENGTH, &s_info, NULL), FLEET_OK);
  assert_int_equal(s_info.chip_id, 0x0000);
  assert_int_equal(s_info.segment_count, 5);
  assert_int_equal(s_info.hash_appended, 1);
  assert_int_equal(s_info.secure_version, 0);
  assert_string_equal(s_info.version, "1cd5752");
  assert_string_equal(s_info.project_name, "app-template");
  free(image);
}

static void test_fleet_app_image_parse_prefix_reads_esp32s2_blink(void **state) {
  (void)state;
  size_t len = 0;
  uint8_t *image = fixture_read("esp_idf_blink_esp32s2.bin", &len);
  assert_int_equal(fleet_app_image_parse_prefix(image, len, &s_info, NULL), FLEET_OK);
  assert_int_equal(s_info.chip_id, 0x0002);
  assert_int_equal(s_info.segment_count, 6);
  assert_string_equal(s_info.version, "qa-test-v5.0-20220830-4-g4532e6");
  assert_string_equal(s_info.project_name, "blink");
  free(image);
}

static void test_fleet_app_image_parse_prefix_fails_for_bootloader_without_descriptor(
    void **state) {
  (void)state;
  size_t len = 0;
  uint8_t *image = fixture_read("bootloader_esp32.bin", &len);
  size_t offset = 0;
  assert_int_equal(fleet_app_image_parse_prefix(image, len, &s_info, &offset),
                   FLEET_ERR_IMAGE_NOT_APP);
  assert_int_equal(offset, 0x20);
  free(image);
}

static void test_fleet_app_image_parse_prefix_fails_for_bad_header_fields(void **state) {
  (void)state;
  size_t len = 0;
  uint8_t *image = fixture_read("esp32-app-template.bin", &len);
  size_t offset = 0;
  image[0] = 0xE8;
  assert_int_equal(fleet_app_image_parse_prefix(image, len, &s_info, &offset),
                   FLEET_ERR_IMAGE_MAGIC);
  assert_int_equal(offset, 0);
  image[0] = 0xE9;
  image[1] = 17;
  assert_int_equal(fleet_app_image_parse_prefix(image, len, &s_info, &offset), FLEET_ERR_PARSE);
  assert_int_equal(offset, 1);
  image[1] = 5;
  image[23] = 2;
  assert_int_equal(fleet_app_image_parse_prefix(image, len, &s_info, &offset), FLEET_ERR_PARSE);
  assert_int_equal(offset, 23);
  image[23] = 1;
  assert_int_equal(
      fleet_app_image_parse_prefix(image, FLEET_APP_IMAGE_PREFIX_LENGTH - 1, &s_info, &offset),
      FLEET_ERR_INVALID_ARG);
  free(image);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fleet_app_image_parse_prefix_reads_esp32_app_template, prv_setup),
      cmocka_unit_test_setup(test_fleet_app_image_parse_prefix_reads_esp32s2_blink, prv_setup),
      cmocka_unit_test_setup(
          test_fleet_app_image_parse_prefix_fails_for_bootloader_without_descriptor, prv_setup),
      cmocka_unit_test_setup(test_fleet_app_image_parse_prefix_fails_for_bad_header_fields,
                             prv_setup),
  };
  return cmocka_run_group_tests_name("fleet_app_image", tests, NULL, NULL);
}
