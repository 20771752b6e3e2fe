/* The POSIX flash file and its "bootloader": a slot selected for boot runs PENDING_VERIFY; if it
 * is still pending at the next boot it is marked invalid and the other slot boots (ESP-IDF app
 * rollback); a torn otadata write falls back to the other copy. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet/port/ota.h"
#include "fleet_posix_config.h"
#include "fleet_posix_flash.h"
#include "fleet_posix_main.h"

static int s_reboots;

void fleet_posix_reboot(void) {
  s_reboots++;
}

static char s_dir[256];

static int prv_setup(void **state) {
  (void)state;
  snprintf(s_dir, sizeof(s_dir), "/tmp/fleet-flash-test-XXXXXX");
  assert_non_null(mkdtemp(s_dir));
  struct fleet_posix_config config;
  memset(&config, 0, sizeof(config));
  snprintf(config.state_dir, sizeof(config.state_dir), "%s", s_dir);
  config.slot_size = 65536;
  fleet_posix_config_set(&config);
  s_reboots = 0;
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  return 0;
}

static enum fleet_ota_image_state prv_state(void) {
  enum fleet_ota_image_state state;
  assert_int_equal(fleet_port_ota_running_state(&state), FLEET_OK);
  return state;
}

static void prv_install_slot1(void) {
  static uint8_t block[4096];
  memset(block, 0xE9, sizeof(block));
  assert_int_equal(fleet_port_ota_begin(1, 0, 8192), FLEET_OK);
  assert_int_equal(fleet_port_ota_write(1, 0, block, sizeof(block)), FLEET_OK);
  assert_int_equal(fleet_port_ota_write(1, 4096, block, sizeof(block)), FLEET_OK);
  assert_int_equal(fleet_port_ota_flush(1), FLEET_OK);
  assert_int_equal(fleet_port_ota_set_boot_slot(1), FLEET_OK);
}

static void test_fleet_posix_flash_boot_runs_new_slot_pending_then_valid(void **state) {
  (void)state;
  assert_int_equal(fleet_port_ota_running_slot(), 0);
  assert_int_equal(prv_state(), FLEET_OTA_IMAGE_VALID);
  assert_int_equal(fleet_port_ota_begin(0, 0, 4096), FLEET_ERR_INVALID_ARG); /* running slot */
  prv_install_slot1();
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK); /* reboot */
  assert_int_equal(fleet_port_ota_running_slot(), 1);
  assert_int_equal(prv_state(), FLEET_OTA_IMAGE_PENDING_VERIFY);
  assert_int_equal(fleet_port_ota_mark_valid(), FLEET_OK);
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  assert_int_equal(fleet_port_ota_running_slot(), 1);
  assert_int_equal(prv_state(), FLEET_OTA_IMAGE_VALID);
}

static void test_fleet_posix_flash_boot_rolls_back_slot_still_pending(void **state) {
  (void)state;
  prv_install_slot1();
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  assert_int_equal(fleet_port_ota_running_slot(), 1);
  /* the new app dies (SIGKILL) before it marks itself valid: the next boot returns to slot 0 */
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  assert_int_equal(fleet_port_ota_running_slot(), 0);
  assert_int_equal(prv_state(), FLEET_OTA_IMAGE_VALID);
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK); /* and stays there */
  assert_int_equal(fleet_port_ota_running_slot(), 0);
}

static void test_fleet_port_ota_rollback_and_reboot_returns_to_previous_slot(void **state) {
  (void)state;
  prv_install_slot1();
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  (void)fleet_port_ota_rollback_and_reboot();
  assert_int_equal(s_reboots, 1);
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  assert_int_equal(fleet_port_ota_running_slot(), 0);
}

static void test_fleet_posix_flash_boot_uses_other_otadata_copy_after_torn_write(void **state) {
  (void)state;
  prv_install_slot1(); /* the newest otadata copy says: boot slot 1 (NEW) */
  char path[512];
  snprintf(path, sizeof(path), "%s/flash.bin", s_dir);
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  uint8_t junk[8] = {0xDE, 0xAD, 0xBE, 0xEF, 0xDE, 0xAD, 0xBE, 0xEF};
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  /* After this boot the newest copy records slot 1 PENDING; tearing it must bring back the
   * previous copy (slot 1 NEW), which boots slot 1 as PENDING again, not garbage. */
  /* otadata copies at 0 and 4096: magic u32, seq u32, ... (fleet_port_ota.c) */
  uint8_t copies[2][24];
  assert_int_equal(pread(fd, copies[0], sizeof(copies[0]), 0), (ssize_t)sizeof(copies[0]));
  assert_int_equal(pread(fd, copies[1], sizeof(copies[1]), 4096), (ssize_t)sizeof(copies[1]));
  uint32_t seq0;
  uint32_t seq1;
  memcpy(&seq0, copies[0] + 4, 4);
  memcpy(&seq1, copies[1] + 4, 4);
  off_t newest = seq0 > seq1 ? 0 : 4096;
  assert_int_equal(pwrite(fd, junk, sizeof(junk), newest + 4), (ssize_t)sizeof(junk));
  close(fd);
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK);
  assert_int_equal(fleet_port_ota_running_slot(), 1);
  assert_int_equal(prv_state(), FLEET_OTA_IMAGE_PENDING_VERIFY);
}

static void test_fleet_port_ota_begin_erases_range_as_writes_reach_it(void **state) {
  (void)state;
  static uint8_t block[4096];
  static uint8_t read[3 * 4096];
  memset(block, 0xA5, sizeof(block));
  for (uint64_t pos = 0; pos < sizeof(read); pos += sizeof(block))
    assert_int_equal(fleet_port_ota_write(1, pos, block, sizeof(block)), FLEET_OK);
  /* an image of 2.5 sectors from 0: its range reads erased before anything is written */
  assert_int_equal(fleet_port_ota_begin(1, 0, 10240), FLEET_OK);
  assert_int_equal(fleet_port_ota_read(1, 0, read, sizeof(read)), FLEET_OK);
  for (size_t i = 0; i < sizeof(read); i++)
    assert_int_equal(read[i], 0xFF);
  memset(block, 0x5A, sizeof(block));
  assert_int_equal(fleet_port_ota_write(1, 0, block, 4096), FLEET_OK);
  assert_int_equal(fleet_port_ota_write(1, 8192, block, 2048), FLEET_OK); /* skips a sector */
  assert_int_equal(fleet_port_ota_flush(1), FLEET_OK);
  assert_int_equal(fleet_posix_flash_boot(), FLEET_OK); /* from the file alone */
  assert_int_equal(fleet_port_ota_read(1, 0, read, sizeof(read)), FLEET_OK);
  for (size_t i = 0; i < sizeof(read); i++) {
    uint8_t want = i < 4096 ? 0x5A : i < 8192 ? 0xFF : i < 10240 ? 0x5A : 0xFF;
    assert_int_equal(read[i], want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_fleet_posix_flash_boot_runs_new_slot_pending_then_valid,
                             prv_setup),
      cmocka_unit_test_setup(test_fleet_posix_flash_boot_rolls_back_slot_still_pending, prv_setup),
      cmocka_unit_test_setup(test_fleet_port_ota_rollback_and_reboot_returns_to_previous_slot,
                             prv_setup),
      cmocka_unit_test_setup(test_fleet_posix_flash_boot_uses_other_otadata_copy_after_torn_write,
                             prv_setup),
      cmocka_unit_test_setup(test_fleet_port_ota_begin_erases_range_as_writes_reach_it, prv_setup),
  };
  return cmocka_run_group_tests_name("fleet_port_ota_posix", tests, NULL, NULL);
}
