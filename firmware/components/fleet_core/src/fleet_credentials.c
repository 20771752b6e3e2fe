#include "fleet/credentials.h"

#include <stdint.h>
#include <string.h>

#include "fleet/port/storage.h"

/* Record: "FLC1", then three fields as u16 little-endian length + bytes (thing, cert, key). */
static const char kMagic[4] = {'F', 'L', 'C', '1'};

static int prv_put(uint8_t *buf, size_t size, size_t *pos, const char *field) {
  size_t len = strlen(field);
  if (len == 0 || len > UINT16_MAX || *pos + 2 + len > size)
    return 0;
  buf[(*pos)++] = (uint8_t)(len & 0xFF);
  buf[(*pos)++] = (uint8_t)(len >> 8);
  memcpy(buf + *pos, field, len);
  *pos += len;
  return 1;
}

static int prv_get(const uint8_t *buf, size_t len, size_t *pos, char *field, size_t size) {
  if (*pos + 2 > len)
    return 0;
  size_t n = (size_t)buf[*pos] | ((size_t)buf[*pos + 1] << 8);
  *pos += 2;
  if (n == 0 || n >= size || *pos + n > len)
    return 0;
  memcpy(field, buf + *pos, n);
  field[n] = '\0';
  *pos += n;
  return 1;
}

enum fleet_status fleet_credentials_store(const struct fleet_credentials *creds, void *scratch,
                                          size_t scratch_size) {
  if (creds == NULL || scratch == NULL || scratch_size < sizeof(kMagic)) {
    return FLEET_ERR_INVALID_ARG;
  }
  uint8_t *buf = scratch;
  size_t pos = sizeof(kMagic);
  memcpy(buf, kMagic, sizeof(kMagic));
  if (!prv_put(buf, scratch_size, &pos, creds->thing_name) ||
      !prv_put(buf, scratch_size, &pos, creds->cert_pem) ||
      !prv_put(buf, scratch_size, &pos, creds->key_pem)) {
    return FLEET_ERR_INVALID_ARG;
  }
  return fleet_port_storage_write(FLEET_CREDENTIALS_KEY, buf, pos);
}

enum fleet_status fleet_credentials_load(struct fleet_credentials *creds, void *scratch,
                                         size_t scratch_size) {
  if (creds == NULL || scratch == NULL)
    return FLEET_ERR_INVALID_ARG;
  size_t len = 0;
  FLEET_RETURN_IF_ERROR(
      fleet_port_storage_read(FLEET_CREDENTIALS_KEY, scratch, scratch_size, &len));
  const uint8_t *buf = scratch;
  size_t pos = sizeof(kMagic);
  if (len < sizeof(kMagic) || memcmp(buf, kMagic, sizeof(kMagic)) != 0 ||
      !prv_get(buf, len, &pos, creds->thing_name, sizeof(creds->thing_name)) ||
      !prv_get(buf, len, &pos, creds->cert_pem, sizeof(creds->cert_pem)) ||
      !prv_get(buf, len, &pos, creds->key_pem, sizeof(creds->key_pem)) || pos != len) {
    return FLEET_ERR_PARSE;
  }
  return FLEET_OK;
}
