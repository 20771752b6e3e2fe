#include "fleet/job_document.h"

#include <string.h>

#define FLEET_LOG_TAG "fleet_jobdoc"
#include "fleet/log.h"

/* RELEASE_CHIPS in ota/release-manifest.ts (chip_id at offset 12 of the image header). */
static const struct {
  const char *name;
  uint16_t id;
} kChips[] = {
    {"esp32", 0x0000},   {"esp32s2", 0x0002}, {"esp32c3", 0x0005}, {"esp32s3", 0x0009},
    {"esp32c2", 0x000C}, {"esp32c6", 0x000D}, {"esp32h2", 0x0010},
};

enum fleet_status fleet_job_document_chip_id(const char *name, uint16_t *chip_id) {
  for (size_t i = 0; i < sizeof(kChips) / sizeof(kChips[0]); i++) {
    if (strcmp(kChips[i].name, name) == 0) {
      *chip_id = kChips[i].id;
      return FLEET_OK;
    }
  }
  return FLEET_ERR_NOT_FOUND;
}

static int prv_b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

enum fleet_status fleet_base64_decode(const char *in, size_t len, uint8_t *out, size_t size,
                                      size_t *out_len) {
  if (len % 4 != 0)
    return FLEET_ERR_PARSE;
  size_t n = 0;
  for (size_t i = 0; i < len; i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      char c = in[i + (size_t)k];
      if (c == '=' && i + 4 == len && k >= 2) {
        v[k] = 0;
        pad++;
      } else {
        if (pad > 0)
          return FLEET_ERR_PARSE; /* data after '=' */
        v[k] = prv_b64_value(c);
        if (v[k] < 0)
          return FLEET_ERR_PARSE;
      }
    }
    uint32_t triple =
        ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
    size_t produce = 3 - (size_t)pad;
    if (n + produce > size)
      return FLEET_ERR_BUFFER_TOO_SMALL;
    for (size_t k = 0; k < produce; k++)
      out[n++] = (uint8_t)(triple >> (16 - 8 * k));
  }
  *out_len = n;
  return FLEET_OK;
}

static int prv_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1; /* ota/ writes lowercase hex */
}

/* Copies a required string field of at most size-1 bytes, at least one. */
static enum fleet_status prv_string(const struct fleet_json *doc, int object, const char *path,
                                    char *out, size_t size) {
  size_t len = 0;
  if (fleet_json_get_string(doc, fleet_json_find(doc, object, path), out, size, &len) != FLEET_OK ||
      len == 0) {
    return FLEET_ERR_JOB_DOCUMENT;
  }
  return FLEET_OK;
}

static enum fleet_status prv_u32(const struct fleet_json *doc, int object, const char *path,
                                 uint32_t *out) {
  uint64_t value = 0;
  if (fleet_json_get_u64(doc, fleet_json_find(doc, object, path), &value) != FLEET_OK ||
      value > UINT32_MAX) {
    return FLEET_ERR_JOB_DOCUMENT;
  }
  *out = (uint32_t)value;
  return FLEET_OK;
}

static enum fleet_status prv_fields(const struct fleet_json *doc, int object,
                                    struct fleet_job_document *out, const char **field) {
  uint32_t schema = 0;
  *field = "version";
  if (prv_u32(doc, object, "version", &schema) != FLEET_OK ||
      schema != FLEET_JOB_DOCUMENT_VERSION) {
    return FLEET_ERR_JOB_DOCUMENT;
  }
  *field = "operation";
  if (!fleet_json_string_equals(doc, fleet_json_find(doc, object, "operation"), "ota")) {
    return FLEET_ERR_JOB_DOCUMENT;
  }
  *field = "releaseId";
  FLEET_RETURN_IF_ERROR(
      prv_string(doc, object, "releaseId", out->release_id, sizeof(out->release_id)));
  *field = "firmware.version";
  FLEET_RETURN_IF_ERROR(
      prv_string(doc, object, "firmware.version", out->version, sizeof(out->version)));
  *field = "firmware.descriptorVersion";
  FLEET_RETURN_IF_ERROR(prv_string(doc, object, "firmware.descriptorVersion",
                                   out->descriptor_version, sizeof(out->descriptor_version)));
  *field = "firmware.secureVersion";
  FLEET_RETURN_IF_ERROR(prv_u32(doc, object, "firmware.secureVersion", &out->secure_version));
  *field = "firmware.chip";
  char chip[FLEET_CHIP_NAME_MAX_LENGTH + 1];
  FLEET_RETURN_IF_ERROR(prv_string(doc, object, "firmware.chip", chip, sizeof(chip)));
  if (fleet_job_document_chip_id(chip, &out->chip_id) != FLEET_OK)
    return FLEET_ERR_JOB_DOCUMENT;
  *field = "firmware.size";
  FLEET_RETURN_IF_ERROR(prv_u32(doc, object, "firmware.size", &out->size));
  if (out->size == 0)
    return FLEET_ERR_JOB_DOCUMENT;
  *field = "firmware.sha256";
  char hex[65];
  size_t hex_len = 0;
  if (fleet_json_get_string(doc, fleet_json_find(doc, object, "firmware.sha256"), hex, sizeof(hex),
                            &hex_len) != FLEET_OK ||
      hex_len != 64) {
    return FLEET_ERR_JOB_DOCUMENT;
  }
  for (size_t i = 0; i < 32; i++) {
    int hi = prv_hex_value(hex[2 * i]);
    int lo = prv_hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return FLEET_ERR_JOB_DOCUMENT;
    out->sha256[i] = (uint8_t)((hi << 4) | lo);
  }
  *field = "firmware.url";
  FLEET_RETURN_IF_ERROR(prv_string(doc, object, "firmware.url", out->url, sizeof(out->url)));
  if (strncmp(out->url, "https://", 8) != 0 && strncmp(out->url, "http://", 7) != 0) {
    return FLEET_ERR_JOB_DOCUMENT; /* e.g. a presigned-URL placeholder nobody substituted */
  }
  *field = "firmware.signatureAlgorithm";
  if (!fleet_json_string_equals(doc, fleet_json_find(doc, object, "firmware.signatureAlgorithm"),
                                "sig-sha256-ecdsa")) {
    return FLEET_ERR_JOB_DOCUMENT;
  }
  *field = "firmware.signature";
  char b64[FLEET_SIGNATURE_BASE64_MAX_LENGTH + 1];
  size_t b64_len = 0;
  if (fleet_json_get_string(doc, fleet_json_find(doc, object, "firmware.signature"), b64,
                            sizeof(b64), &b64_len) != FLEET_OK ||
      fleet_base64_decode(b64, b64_len, out->signature, sizeof(out->signature),
                          &out->signature_len) != FLEET_OK ||
      out->signature_len < 8 || out->signature[0] != 0x30) { /* DER SEQUENCE */
    return FLEET_ERR_JOB_DOCUMENT;
  }
  *field = "firmware.keyId";
  FLEET_RETURN_IF_ERROR(
      prv_string(doc, object, "firmware.keyId", out->key_id, sizeof(out->key_id)));
  *field = NULL;
  return FLEET_OK;
}

enum fleet_status fleet_job_document_parse(const struct fleet_json *doc, int object,
                                           struct fleet_job_document *out, const char **bad_field) {
  const char *field = "";
  if (doc == NULL || out == NULL || object < 0)
    return FLEET_ERR_INVALID_ARG;
  memset(out, 0, sizeof(*out));
  enum fleet_status status = FLEET_ERR_JOB_DOCUMENT;
  if (doc->tokens[object].type == FLEET_JSON_OBJECT) {
    status = prv_fields(doc, object, out, &field);
  }
  if (status != FLEET_OK) {
    FLEET_LOG_ERROR("job document field \"%s\" is missing or invalid", field);
  }
  if (bad_field != NULL)
    *bad_field = status == FLEET_OK ? NULL : field;
  return status;
}
