#include "fleet/ota_verifier.h"

#include <string.h>

#include "fleet/version.h"

#define FLEET_LOG_TAG "fleet_verify"
#include "fleet/log.h"

static enum fleet_status prv_fail(struct fleet_ota_verifier *v, enum fleet_status status) {
  if (v->failure == FLEET_OK) {
    v->failure = status;
  }
  return v->failure;
}

enum fleet_status fleet_ota_verifier_begin(struct fleet_ota_verifier *v,
                                           const struct fleet_ota_expectation *expect) {
  if (v == NULL || expect == NULL || expect->public_key_pem == NULL ||
      expect->signature_der == NULL || expect->signature_len == 0 ||
      expect->signature_len > FLEET_SIGNATURE_DER_MAX_LENGTH || expect->running_version == NULL ||
      expect->size < FLEET_APP_IMAGE_PREFIX_LENGTH) {
    return FLEET_ERR_INVALID_ARG;
  }
  memset(v, 0, sizeof(*v));
  v->expect = *expect;
  return fleet_port_crypto_sha256_start(&v->sha);
}

/* Runs once, when the first FLEET_APP_IMAGE_PREFIX_LENGTH bytes are in. */
static enum fleet_status prv_check_prefix(struct fleet_ota_verifier *v) {
  size_t offset = 0;
  FLEET_RETURN_IF_ERROR(
      fleet_app_image_parse_prefix(v->prefix, sizeof(v->prefix), &v->info, &offset));
  if (v->info.chip_id != v->expect.chip_id) {
    FLEET_LOG_ERROR("image chip_id 0x%04x at offset 12, this device is 0x%04x", v->info.chip_id,
                    v->expect.chip_id);
    return FLEET_ERR_IMAGE_WRONG_CHIP;
  }
  if (v->expect.descriptor_version != NULL &&
      strcmp(v->expect.descriptor_version, v->info.version) != 0) {
    FLEET_LOG_ERROR("image version \"%s\" at offset 0x30, job expects \"%s\"", v->info.version,
                    v->expect.descriptor_version);
    return FLEET_ERR_VERSION_MISMATCH;
  }
  const char *candidate = v->info.version;
  if (v->expect.declared_version != NULL) {
    candidate = v->expect.declared_version;
    struct fleet_version in_image;
    struct fleet_version declared;
    if (fleet_version_parse(v->info.version, strlen(v->info.version), &in_image) == FLEET_OK) {
      if (fleet_version_parse(candidate, strlen(candidate), &declared) != FLEET_OK ||
          fleet_version_compare(&in_image, &declared) != 0) {
        FLEET_LOG_ERROR("image version \"%s\" at offset 0x30 differs from the job's \"%s\"",
                        v->info.version, candidate);
        return FLEET_ERR_VERSION_MISMATCH;
      }
    } else {
      FLEET_LOG_INFO("image version \"%s\" is a development id; job declares %s", v->info.version,
                     candidate);
    }
  }
  struct fleet_version_policy_input policy = {
      .running_version = v->expect.running_version,
      .running_secure_version = v->expect.running_secure_version,
      .secure_version_floor = v->expect.secure_version_floor,
      .candidate_version = candidate,
      .candidate_secure_version = v->info.secure_version,
  };
  return fleet_version_policy_check(&policy);
}

enum fleet_status fleet_ota_verifier_update(struct fleet_ota_verifier *v, const uint8_t *data,
                                            size_t len) {
  if (v == NULL || (data == NULL && len > 0)) {
    return FLEET_ERR_INVALID_ARG;
  }
  if (v->failure != FLEET_OK) {
    return v->failure;
  }
  if (len > v->expect.size - v->received) {
    FLEET_LOG_ERROR("image continues past the declared size %llu at offset %llu",
                    (unsigned long long)v->expect.size, (unsigned long long)v->received);
    return prv_fail(v, FLEET_ERR_IMAGE_TOO_LARGE);
  }
  if (v->received < sizeof(v->prefix)) {
    size_t take = sizeof(v->prefix) - (size_t)v->received;
    if (take > len)
      take = len;
    memcpy(v->prefix + v->received, data, take);
    if (v->received + take == sizeof(v->prefix)) {
      enum fleet_status status = prv_check_prefix(v);
      if (status != FLEET_OK)
        return prv_fail(v, status);
      v->prefix_checked = true;
    }
  }
  enum fleet_status status = fleet_port_crypto_sha256_update(&v->sha, data, len);
  if (status != FLEET_OK)
    return prv_fail(v, status);
  v->received += len;
  return FLEET_OK;
}

enum fleet_status fleet_ota_verifier_finish(struct fleet_ota_verifier *v, uint8_t digest[32]) {
  if (v == NULL) {
    return FLEET_ERR_INVALID_ARG;
  }
  uint8_t hash[32];
  enum fleet_status status = fleet_port_crypto_sha256_finish(&v->sha, hash);
  if (digest != NULL)
    memcpy(digest, hash, sizeof(hash));
  if (v->failure != FLEET_OK)
    return v->failure;
  if (status != FLEET_OK)
    return prv_fail(v, status);
  if (v->received != v->expect.size || !v->prefix_checked) {
    FLEET_LOG_ERROR("image is %llu bytes, expected %llu", (unsigned long long)v->received,
                    (unsigned long long)v->expect.size);
    return prv_fail(v, FLEET_ERR_IMAGE_SIZE);
  }
  if (v->expect.sha256 != NULL && memcmp(hash, v->expect.sha256, sizeof(hash)) != 0) {
    FLEET_LOG_ERROR("image SHA-256 differs from the job document");
    return prv_fail(v, FLEET_ERR_IMAGE_HASH);
  }
  status = fleet_port_crypto_ecdsa_p256_verify(v->expect.public_key_pem, hash,
                                               v->expect.signature_der, v->expect.signature_len);
  if (status != FLEET_OK) {
    FLEET_LOG_ERROR("image signature does not verify: %s", fleet_status_to_str(status));
    return prv_fail(v, status == FLEET_ERR_INVALID_ARG ? status : FLEET_ERR_IMAGE_SIGNATURE);
  }
  return FLEET_OK;
}
