/* The POSIX storage port under power cuts: a child process rewrites one record in a loop and is
 * killed with SIGKILL at a random moment; the record read afterwards must be exactly one of the
 * two versions, never a mix or a truncation (temp file + fsync + rename + fsync of the dir). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet/port/storage.h"
#include "fleet_posix_config.h"

#define PRV_A_LEN 3000
#define PRV_B_LEN 5000

static char s_dir[256];

static int prv_setup(void **state) {
  (void)state;
  snprintf(s_dir, sizeof(s_dir), "/tmp/fleet-storage-test-XXXXXX");
  assert_non_null(mkdtemp(s_dir));
  struct fleet_posix_config config;
  memset(&config, 0, sizeof(config));
  snprintf(config.state_dir, sizeof(config.state_dir), "%s", s_dir);
  fleet_posix_config_set(&config);
  return 0;
}

static void prv_fill(char *buf, char c, size_t len) {
  memset(buf, c, len);
}

static void test_fleet_port_storage_read_returns_not_found_before_first_write(void **state) {
  (void)state;
  char buf[16];
  size_t len = 0;
  assert_int_equal(fleet_port_storage_read("fleet_creds", buf, sizeof(buf), &len),
                   FLEET_ERR_NOT_FOUND);
  assert_int_equal(fleet_port_storage_write("fleet_creds", "abc", 3), FLEET_OK);
  assert_int_equal(fleet_port_storage_read("fleet_creds", buf, sizeof(buf), &len), FLEET_OK);
  assert_int_equal(len, 3);
  assert_int_equal(fleet_port_storage_read("fleet_creds", buf, 2, &len),
                   FLEET_ERR_BUFFER_TOO_SMALL);
  assert_int_equal(fleet_port_storage_erase("fleet_creds"), FLEET_OK);
  assert_int_equal(fleet_port_storage_read("fleet_creds", buf, sizeof(buf), &len),
                   FLEET_ERR_NOT_FOUND);
  assert_int_equal(fleet_port_storage_write("../escape", "x", 1), FLEET_ERR_INVALID_ARG);
}

static void test_fleet_port_storage_write_survives_sigkill_at_any_moment(void **state) {
  (void)state;
  static char a[PRV_A_LEN];
  static char b[PRV_B_LEN];
  static char got[PRV_B_LEN + 16];
  prv_fill(a, 'a', sizeof(a));
  prv_fill(b, 'b', sizeof(b));
  assert_int_equal(fleet_port_storage_write("fleet_ota", a, sizeof(a)), FLEET_OK);
  srand((unsigned)time(NULL));
  unsigned seen_a = 0;
  unsigned seen_b = 0;
  for (int round = 0; round < 25; round++) {
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
      for (unsigned i = 0;; i++) {
        if (i % 2 == 0) {
          (void)fleet_port_storage_write("fleet_ota", b, sizeof(b));
        } else {
          (void)fleet_port_storage_write("fleet_ota", a, sizeof(a));
        }
      }
    }
    struct timespec delay = {.tv_sec = 0, .tv_nsec = (long)(1 + rand() % 20) * 1000000L};
    nanosleep(&delay, NULL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    size_t len = 0;
    assert_int_equal(fleet_port_storage_read("fleet_ota", got, sizeof(got), &len), FLEET_OK);
    if (len == sizeof(a) && memcmp(got, a, len) == 0) {
      seen_a++;
    } else if (len == sizeof(b) && memcmp(got, b, len) == 0) {
      seen_b++;
    } else {
      fail_msg("round %d: record is neither version (%zu bytes)", round, len);
    }
  }
  assert_int_equal(seen_a + seen_b, 25);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fleet_port_storage_read_returns_not_found_before_first_write,
                             prv_setup),
      cmocka_unit_test_setup(test_fleet_port_storage_write_survives_sigkill_at_any_moment,
                             prv_setup),
  };
  return cmocka_run_group_tests_name("fleet_port_storage_posix", tests, NULL, NULL);
}
