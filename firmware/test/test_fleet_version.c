#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fleet/version.h"

static int prv_cmp(const char *a, const char *b) {
  struct fleet_version va;
  struct fleet_version vb;
  assert_int_equal(fleet_version_parse(a, strlen(a), &va), FLEET_OK);
  assert_int_equal(fleet_version_parse(b, strlen(b), &vb), FLEET_OK);
  return fleet_version_compare(&va, &vb);
}

static void test_fleet_version_parse_reads_fields_with_prerelease_and_build(void **state) {
  (void)state;
  struct fleet_version v = {.major = 99};
  const char *s = "v1.4.0-rc.1+g1cd5752";
  assert_int_equal(fleet_version_parse(s, strlen(s), &v), FLEET_OK);
  assert_int_equal(v.major, 1);
  assert_int_equal(v.minor, 4);
  assert_int_equal(v.patch, 0);
  assert_int_equal(v.prerelease_len, 4);
  assert_memory_equal(v.prerelease, "rc.1", 4);
}

static void test_fleet_version_parse_fails_for_non_semver(void **state) {
  (void)state;
  const char *bad[] = {"1cd5752", "1.2", "1.2.3.4", "01.2.3", "1.2.3-",          "1.2.3-a..b",
                       "1.2.3+",  "",    "v",       "1.2.x",  "99999999999.0.0", "1.2.3-beta!"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct fleet_version v;
    assert_int_equal(fleet_version_parse(bad[i], strlen(bad[i]), &v), FLEET_ERR_VERSION_FORMAT);
  }
}

/* The precedence example of semver.org 2.0.0 item 11. */
static void test_fleet_version_compare_orders_as_semver_spec_example(void **state) {
  (void)state;
  const char *ordered[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                           "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                           "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                           "1.1.0",       "2.0.0",         "10.0.0"};
  size_t n = sizeof(ordered) / sizeof(ordered[0]);
  for (size_t i = 0; i + 1 < n; i++) {
    assert_true(prv_cmp(ordered[i], ordered[i + 1]) < 0);
    assert_true(prv_cmp(ordered[i + 1], ordered[i]) > 0);
  }
  assert_int_equal(prv_cmp("1.0.0+build.1", "1.0.0+build.2"), 0);
}

static void test_fleet_version_policy_check_refuses_same_or_older_version(void **state) {
  (void)state;
  struct fleet_version_policy_input in = {.running_version = "1.4.0", .candidate_version = "1.4.0"};
  assert_int_equal(fleet_version_policy_check(&in), FLEET_ERR_VERSION_NOT_NEWER);
  in.candidate_version = "1.3.9";
  assert_int_equal(fleet_version_policy_check(&in), FLEET_ERR_VERSION_NOT_NEWER);
  in.candidate_version = "1.4.0-rc.1";
  assert_int_equal(fleet_version_policy_check(&in), FLEET_ERR_VERSION_NOT_NEWER);
  in.candidate_version = "1.4.1";
  assert_int_equal(fleet_version_policy_check(&in), FLEET_OK);
}

static void test_fleet_version_policy_check_refuses_lower_secure_version(void **state) {
  (void)state;
  struct fleet_version_policy_input in = {.running_version = "1.0.0",
                                          .running_secure_version = 2,
                                          .candidate_version = "2.0.0",
                                          .candidate_secure_version = 1};
  assert_int_equal(fleet_version_policy_check(&in), FLEET_ERR_SECURE_VERSION);
  in.candidate_secure_version = 2;
  assert_int_equal(fleet_version_policy_check(&in), FLEET_OK);
  in.secure_version_floor = 3; /* the eFuse was burned higher than the running app's */
  assert_int_equal(fleet_version_policy_check(&in), FLEET_ERR_SECURE_VERSION);
  in.candidate_secure_version = 3;
  assert_int_equal(fleet_version_policy_check(&in), FLEET_OK);
}

static void test_fleet_version_policy_check_refuses_candidate_that_is_not_semver(void **state) {
  (void)state;
  struct fleet_version_policy_input in = {.running_version = "1.0.0",
                                          .candidate_version = "1cd5752"};
  assert_int_equal(fleet_version_policy_check(&in), FLEET_ERR_VERSION_FORMAT);
}

static void test_fleet_version_policy_check_accepts_any_semver_over_dev_build(void **state) {
  (void)state;
  struct fleet_version_policy_input in = {.running_version = "1cd5752",
                                          .candidate_version = "0.0.1"};
  assert_int_equal(fleet_version_policy_check(&in), FLEET_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fleet_version_parse_reads_fields_with_prerelease_and_build),
      cmocka_unit_test(test_fleet_version_parse_fails_for_non_semver),
      cmocka_unit_test(test_fleet_version_compare_orders_as_semver_spec_example),
      cmocka_unit_test(test_fleet_version_policy_check_refuses_same_or_older_version),
      cmocka_unit_test(test_fleet_version_policy_check_refuses_lower_secure_version),
      cmocka_unit_test(test_fleet_version_policy_check_refuses_candidate_that_is_not_semver),
      cmocka_unit_test(test_fleet_version_policy_check_accepts_any_semver_over_dev_build),
  };
  return cmocka_run_group_tests_name("fleet_version", tests, NULL, NULL);
}
