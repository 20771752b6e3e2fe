/* Device port fake: an ESP32 with a serial, the running app's version from the fake flash
 * (the descriptor of the image in the running slot, as on the device), and a public key set
 * by the test. */
#include <stdio.h>
#include <string.h>

#include "fake_port_ota.h"
#include "fleet/app_image.h"
#include "fleet/port/device.h"

static const char *s_public_key = "";

void fake_port_device_set_public_key(const char *pem) {
  s_public_key = pem;
}

enum fleet_status fleet_port_device_serial(char *buf, size_t size) {
  snprintf(buf, size, "%s", "00AABBCC0001");
  return FLEET_OK;
}

uint16_t fleet_port_device_chip_id(void) {
  return 0x0000;
}

uint32_t fleet_port_device_secure_version_floor(void) {
  return 0;
}

enum fleet_status fleet_port_device_app_version(char *version, size_t size,
                                                uint32_t *secure_version) {
  struct fleet_app_image_info info;
  const uint8_t *slot = fake_port_ota_slot(fleet_port_ota_running_slot());
  if (fleet_app_image_parse_prefix(slot, FLEET_APP_IMAGE_PREFIX_LENGTH, &info, NULL) == FLEET_OK) {
    snprintf(version, size, "%s", info.version);
    *secure_version = info.secure_version;
  } else {
    snprintf(version, size, "%s", "1.1.0"); /* the factory app */
    *secure_version = 0;
  }
  return FLEET_OK;
}

const char *fleet_port_device_firmware_public_key(void) {
  return s_public_key;
}
