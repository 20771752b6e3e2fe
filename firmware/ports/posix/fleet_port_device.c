/* Device port: identity from the configuration; app version from the running slot's descriptor. */
#include <stdio.h>
#include <string.h>

#include "fleet/app_image.h"
#include "fleet/port/device.h"
#include "fleet/port/log.h"
#include "fleet_posix_config.h"
#include "fleet_posix_main.h"

enum fleet_status fleet_port_device_serial(char *buf, size_t size) {
  const char *serial = fleet_posix_config()->serial;
  if (strlen(serial) >= size)
    return FLEET_ERR_BUFFER_TOO_SMALL;
  strcpy(buf, serial);
  return FLEET_OK;
}

uint16_t fleet_port_device_chip_id(void) {
  return fleet_posix_config()->chip_id;
}

uint32_t fleet_port_device_secure_version_floor(void) {
  return fleet_posix_config()->secure_version_floor;
}

enum fleet_status fleet_port_device_app_version(char *version, size_t size,
                                                uint32_t *secure_version) {
  uint8_t prefix[FLEET_APP_IMAGE_PREFIX_LENGTH];
  struct fleet_app_image_info info;
  if (fleet_posix_flash_read_running(prefix, sizeof(prefix)) == FLEET_OK &&
      prefix[0] == FLEET_APP_IMAGE_MAGIC &&
      fleet_app_image_parse_prefix(prefix, sizeof(prefix), &info, NULL) == FLEET_OK) {
    snprintf(version, size, "%s", info.version);
    *secure_version = info.secure_version;
    return FLEET_OK;
  }
  /* No app image in the slot (a device configured without firmwareImage): the configured
   * firmware version stands in for the descriptor. */
  snprintf(version, size, "%s", fleet_posix_config()->firmware_version);
  *secure_version = 0;
  return FLEET_OK;
}

const char *fleet_port_device_firmware_public_key(void) {
  static char s_pem[4096];
  if (s_pem[0] == '\0') {
    FILE *f = fopen(fleet_posix_config()->public_key_file, "rb");
    if (f != NULL) {
      size_t n = fread(s_pem, 1, sizeof(s_pem) - 1, f);
      s_pem[n] = '\0';
      fclose(f);
    } else {
      fleet_port_log(FLEET_LOG_LEVEL_ERROR, "fleet_device", "cannot read firmware public key %s",
                     fleet_posix_config()->public_key_file);
    }
  }
  return s_pem;
}
