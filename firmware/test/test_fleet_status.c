#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fleet/status.h"

static enum fleet_status prv_returns_early(enum fleet_status inner, int *reached_end) {
  FLEET_RETURN_IF_ERROR(inner);
  *reached_end = 1;
  return FLEET_OK;
}

static void test_fleet_status_to_str_returns_text_for_every_listed_code(void **state) {
  (void)state;
  assert_string_equal(fleet_status_to_str(FLEET_OK), "ok");
  assert_string_equal(fleet_status_to_str(FLEET_ERR_IMAGE_SIGNATURE), "image signature invalid");
  assert_int_equal(FLEET_ERR_PLATFORM_BASE, 1000);
}

static void test_fleet_status_to_str_returns_unknown_for_unlisted_value(void **state) {
  (void)state;
  assert_string_equal(fleet_status_to_str((enum fleet_status)777), "unknown status");
}

static void test_fleet_return_if_error_returns_inner_status_when_failing(void **state) {
  (void)state;
  int reached = 0;
  assert_int_equal(prv_returns_early(FLEET_ERR_TIMEOUT, &reached), FLEET_ERR_TIMEOUT);
  assert_int_equal(reached, 0);
  assert_int_equal(prv_returns_early(FLEET_OK, &reached), FLEET_OK);
  assert_int_equal(reached, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fleet_status_to_str_returns_text_for_every_listed_code),
      cmocka_unit_test(test_fleet_status_to_str_returns_unknown_for_unlisted_value),
      cmocka_unit_test(test_fleet_return_if_error_returns_inner_status_when_failing),
  };
  return cmocka_run_group_tests_name("fleet_status", tests, NULL, NULL);
}
