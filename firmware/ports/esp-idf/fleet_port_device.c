/* Device port: serial from the base MAC (eFuse), chip id from the build target, secure_version
 * floor from the anti-rollback eFuse, version from the running app's esp_app_desc_t. */
#include <stdio.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_efuse.h"
#include "esp_mac.h"
#include "fleet/port/device.h"
#include "sdkconfig.h"

extern const char firmware_signing_pub_pem_start[] asm("_binary_firmware_signing_pub_pem_start");

enum fleet_status fleet_port_device_serial(char *buf, size_t size) {
  uint8_t mac[6];
  if (esp_efuse_mac_get_default(mac) != ESP_OK)
    return FLEET_ERR_PLATFORM_BASE;
  if (size < 13)
    return FLEET_ERR_BUFFER_TOO_SMALL;
  snprintf(buf, size, "%02X%02X%02X%02X%02X%02X", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return FLEET_OK;
}

uint16_t fleet_port_device_chip_id(void) {
  return (uint16_t)CONFIG_IDF_FIRMWARE_CHIP_ID;
}

uint32_t fleet_port_device_secure_version_floor(void) {
#if CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
  return esp_efuse_read_secure_version();
#else
  return 0;
#endif
}

enum fleet_status fleet_port_device_app_version(char *version, size_t size,
                                                uint32_t *secure_version) {
  const esp_app_desc_t *desc = esp_app_get_description();
  snprintf(version, size, "%s", desc->version);
  *secure_version = desc->secure_version;
  return FLEET_OK;
}

const char *fleet_port_device_firmware_public_key(void) {
  return firmware_signing_pub_pem_start;
}
