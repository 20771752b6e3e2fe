/* Storage port: one NVS blob per record in namespace "fleet". NVS writes a new entry before it
 * erases the old one, so a power cut leaves one of the two (NVS docs, "Internals"); with
 * CONFIG_NVS_ENCRYPTION the entries are encrypted with XTS-AES. */
#include "fleet/port/log.h"
#include "fleet/port/storage.h"
#include "nvs.h"

#define PRV_NAMESPACE "fleet"

static enum fleet_status prv_map(esp_err_t err) {
  if (err == ESP_OK)
    return FLEET_OK;
  if (err == ESP_ERR_NVS_NOT_FOUND)
    return FLEET_ERR_NOT_FOUND;
  if (err == ESP_ERR_NVS_INVALID_LENGTH)
    return FLEET_ERR_BUFFER_TOO_SMALL;
  fleet_port_log(FLEET_LOG_LEVEL_ERROR, "fleet_storage", "NVS: %s", esp_err_to_name(err));
  return FLEET_ERR_IO;
}

enum fleet_status fleet_port_storage_read(const char *key, void *buf, size_t size,
                                          size_t *out_len) {
  nvs_handle_t handle;
  esp_err_t err = nvs_open(PRV_NAMESPACE, NVS_READONLY, &handle);
  if (err != ESP_OK)
    return prv_map(err == ESP_ERR_NVS_NOT_FOUND ? ESP_ERR_NVS_NOT_FOUND : err);
  size_t len = size;
  err = nvs_get_blob(handle, key, buf, &len);
  nvs_close(handle);
  if (err == ESP_OK)
    *out_len = len;
  return prv_map(err);
}

enum fleet_status fleet_port_storage_write(const char *key, const void *data, size_t len) {
  nvs_handle_t handle;
  esp_err_t err = nvs_open(PRV_NAMESPACE, NVS_READWRITE, &handle);
  if (err != ESP_OK)
    return prv_map(err);
  err = nvs_set_blob(handle, key, data, len);
  if (err == ESP_OK)
    err = nvs_commit(handle);
  nvs_close(handle);
  return prv_map(err);
}

enum fleet_status fleet_port_storage_erase(const char *key) {
  nvs_handle_t handle;
  esp_err_t err = nvs_open(PRV_NAMESPACE, NVS_READWRITE, &handle);
  if (err != ESP_OK)
    return prv_map(err);
  err = nvs_erase_key(handle, key);
  if (err == ESP_OK || err == ESP_ERR_NVS_NOT_FOUND)
    err = nvs_commit(handle);
  nvs_close(handle);
  return prv_map(err);
}
