#include "fleet_posix_config.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/job_document.h"

static struct fleet_posix_config s_config;

const struct fleet_posix_config *fleet_posix_config(void) {
  return &s_config;
}

void fleet_posix_config_set(const struct fleet_posix_config *config) {
  s_config = *config;
}

static char *prv_read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
    text[size] = '\0';
  } else {
    free(text);
    text = NULL;
  }
  fclose(f);
  return text;
}

/* String at "object.key"; a missing optional field leaves @p out as it is. */
static int prv_string(const cJSON *root, const char *object, const char *key, char *out,
                      size_t size, int required, const char *path) {
  const cJSON *parent = object != NULL ? cJSON_GetObjectItemCaseSensitive(root, object) : root;
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(parent, key);
  if (item == NULL || cJSON_IsNull(item)) {
    if (required) {
      fprintf(stderr, "fleet-device: %s: %s%s%s is required\n", path, object ? object : "",
              object ? "." : "", key);
    }
    return !required;
  }
  if (!cJSON_IsString(item) || strlen(item->valuestring) >= size) {
    fprintf(stderr, "fleet-device: %s: %s%s%s must be a string of at most %zu characters\n", path,
            object ? object : "", object ? "." : "", key, size - 1);
    return 0;
  }
  strcpy(out, item->valuestring);
  return 1;
}

static int prv_number(const cJSON *root, const char *object, const char *key, double *out,
                      double min, double max, const char *path) {
  const cJSON *item =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, object), key);
  if (item == NULL)
    return 1;
  if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max) {
    fprintf(stderr, "fleet-device: %s: %s.%s must be a number from %.0f to %.0f\n", path, object,
            key, min, max);
    return 0;
  }
  *out = item->valuedouble;
  return 1;
}

/* Make a relative path relative to the configuration file's directory. */
static void prv_resolve(char *path, const char *base_dir) {
  if (path[0] == '\0' || path[0] == '/')
    return;
  char joined[FLEET_POSIX_PATH_MAX];
  if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", base_dir, path) < sizeof(joined)) {
    strcpy(path, joined);
  }
}

enum fleet_status fleet_posix_config_load(const char *path, const char *state_dir,
                                          struct fleet_posix_config *out) {
  memset(out, 0, sizeof(*out));
  char *text = prv_read_file(path);
  if (text == NULL) {
    fprintf(stderr, "fleet-device: cannot read config %s\n", path);
    return FLEET_ERR_INVALID_ARG;
  }
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (root == NULL || !cJSON_IsObject(root)) {
    fprintf(stderr, "fleet-device: %s is not a JSON object\n", path);
    cJSON_Delete(root);
    return FLEET_ERR_INVALID_ARG;
  }
  double port = 0;
  double slot = 4 * 1024 * 1024;
  double floor = 0;
  double verify = 0;
  strcpy(out->chip, "esp32");
  strcpy(out->thing_name_prefix, "esp32");
  strcpy(out->firmware_version, "0.0.0");
  int ok = prv_string(root, "mqtt", "host", out->mqtt_host, sizeof(out->mqtt_host), 1, path) &&
           prv_number(root, "mqtt", "port", &port, 1, 65535, path) &&
           prv_string(root, "mqtt", "serverName", out->mqtt_server_name,
                      sizeof(out->mqtt_server_name), 0, path) &&
           prv_string(root, "mqtt", "caFile", out->ca_file, sizeof(out->ca_file), 1, path) &&
           prv_string(root, "claim", "certFile", out->claim_cert_file, sizeof(out->claim_cert_file),
                      1, path) &&
           prv_string(root, "claim", "keyFile", out->claim_key_file, sizeof(out->claim_key_file), 1,
                      path) &&
           prv_string(root, NULL, "provisioningTemplate", out->provisioning_template,
                      sizeof(out->provisioning_template), 1, path) &&
           prv_string(root, "device", "serial", out->serial, sizeof(out->serial), 1, path) &&
           prv_string(root, "device", "thingNamePrefix", out->thing_name_prefix,
                      sizeof(out->thing_name_prefix), 0, path) &&
           prv_string(root, "device", "firmwareVersion", out->firmware_version,
                      sizeof(out->firmware_version), 0, path) &&
           prv_string(root, "device", "chip", out->chip, sizeof(out->chip), 0, path) &&
           prv_string(root, "device", "firmwarePublicKeyFile", out->public_key_file,
                      sizeof(out->public_key_file), 1, path) &&
           prv_string(root, "device", "firmwareImage", out->firmware_image,
                      sizeof(out->firmware_image), 0, path) &&
           prv_string(root, "device", "httpCaFile", out->http_ca_file, sizeof(out->http_ca_file), 0,
                      path) &&
           prv_string(root, "device", "faultNoConnectVersion", out->fault_no_connect_version,
                      sizeof(out->fault_no_connect_version), 0, path) &&
           prv_number(root, "device", "slotSizeBytes", &slot, 65536, 16 * 1024 * 1024, path) &&
           prv_number(root, "device", "secureVersionFloor", &floor, 0, 65535, path) &&
           prv_number(root, "device", "verifyTimeoutMs", &verify, 0, 3600000, path);
  cJSON_Delete(root);
  if (!ok)
    return FLEET_ERR_INVALID_ARG;
  if (port == 0) {
    fprintf(stderr, "fleet-device: %s: mqtt.port is required\n", path);
    return FLEET_ERR_INVALID_ARG;
  }
  if (fleet_job_document_chip_id(out->chip, &out->chip_id) != FLEET_OK) {
    fprintf(stderr,
            "fleet-device: %s: device.chip \"%s\" is not a known chip (esp32, esp32s2, ...)\n",
            path, out->chip);
    return FLEET_ERR_INVALID_ARG;
  }
  out->mqtt_port = (int)port;
  out->slot_size = (uint64_t)slot;
  out->secure_version_floor = (uint32_t)floor;
  out->verify_timeout_ms = (uint32_t)verify;
  if (out->mqtt_server_name[0] == '\0')
    strcpy(out->mqtt_server_name, out->mqtt_host);
  char dir_buf[FLEET_POSIX_PATH_MAX];
  snprintf(dir_buf, sizeof(dir_buf), "%s", path);
  const char *base = dirname(dir_buf);
  prv_resolve(out->ca_file, base);
  prv_resolve(out->claim_cert_file, base);
  prv_resolve(out->claim_key_file, base);
  prv_resolve(out->public_key_file, base);
  prv_resolve(out->firmware_image, base);
  prv_resolve(out->http_ca_file, base);
  snprintf(out->state_dir, sizeof(out->state_dir), "%s", state_dir);
  s_config = *out;
  return FLEET_OK;
}
