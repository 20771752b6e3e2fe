#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fleet/range.h"

static void test_fleet_range_resume_offset_aligns_down_to_write_size(void **state) {
  (void)state;
  assert_true(fleet_range_resume_offset(65536, 601808, 4096) == 65536);
  assert_true(fleet_range_resume_offset(70000, 601808, 4096) == 69632);
  assert_true(fleet_range_resume_offset(4095, 601808, 4096) == 0);
  assert_true(fleet_range_resume_offset(601808, 601808, 4096) == 598016);
}

static void test_fleet_range_resume_offset_restarts_when_record_exceeds_image(void **state) {
  (void)state;
  assert_true(fleet_range_resume_offset(700000, 601808, 4096) == 0);
}

static void test_fleet_range_format_writes_open_ended_range(void **state) {
  (void)state;
  char buf[FLEET_RANGE_HEADER_MAX_LENGTH];
  assert_int_equal(fleet_range_format(65536, buf, sizeof(buf)), FLEET_OK);
  assert_string_equal(buf, "bytes=65536-");
  assert_int_equal(fleet_range_format(UINT64_MAX, buf, sizeof(buf)), FLEET_OK);
  assert_string_equal(buf, "bytes=18446744073709551615-");
  assert_int_equal(fleet_range_format(0, buf, sizeof(buf)), FLEET_ERR_INVALID_ARG);
  assert_int_equal(fleet_range_format(65536, buf, 12), FLEET_ERR_BUFFER_TOO_SMALL);
}

static void test_fleet_range_check_response_accepts_matching_206(void **state) {
  (void)state;
  uint64_t body = 1;
  assert_int_equal(
      fleet_range_check_response(65536, 601808, 206, "bytes 65536-601807/601808", &body), FLEET_OK);
  assert_true(body == 65536);
  assert_int_equal(fleet_range_check_response(65536, 601808, 206, "bytes 65536-601807/*", &body),
                   FLEET_OK);
}

static void test_fleet_range_check_response_restarts_from_zero_on_200(void **state) {
  (void)state;
  uint64_t body = 1;
  assert_int_equal(fleet_range_check_response(65536, 601808, 200, NULL, &body), FLEET_OK);
  assert_true(body == 0);
}

static void test_fleet_range_check_response_fails_for_mismatched_206(void **state) {
  (void)state;
  uint64_t body = 7;
  const char *bad[] = {"bytes 0-601807/601808",     "bytes 65536-601807/999999",
                       "bytes 65536-601808/601808", "bytes 65536-/601808",
                       "items 65536-601807/601808", "bytes 70000-65536/601808"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(fleet_range_check_response(65536, 601808, 206, bad[i], &body),
                     FLEET_ERR_HTTP_RANGE);
  }
  assert_int_equal(fleet_range_check_response(65536, 601808, 206, NULL, &body),
                   FLEET_ERR_HTTP_RANGE);
  assert_true(body == 7);
}

static void test_fleet_range_check_response_fails_for_other_statuses(void **state) {
  (void)state;
  uint64_t body = 0;
  assert_int_equal(fleet_range_check_response(65536, 601808, 416, NULL, &body),
                   FLEET_ERR_HTTP_RANGE);
  assert_int_equal(fleet_range_check_response(0, 601808, 403, NULL, &body), FLEET_ERR_HTTP_STATUS);
  assert_int_equal(fleet_range_check_response(0, 601808, 500, NULL, &body), FLEET_ERR_HTTP_STATUS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fleet_range_resume_offset_aligns_down_to_write_size),
      cmocka_unit_test(test_fleet_range_resume_offset_restarts_when_record_exceeds_image),
      cmocka_unit_test(test_fleet_range_format_writes_open_ended_range),
      cmocka_unit_test(test_fleet_range_check_response_accepts_matching_206),
      cmocka_unit_test(test_fleet_range_check_response_restarts_from_zero_on_200),
      cmocka_unit_test(test_fleet_range_check_response_fails_for_mismatched_206),
      cmocka_unit_test(test_fleet_range_check_response_fails_for_other_statuses),
  };
  return cmocka_run_group_tests_name("fleet_range", tests, NULL, NULL);
}
