/* Storage port fake: records in memory, each write replaces a record whole (atomic). */
#include "fake_port_storage.h"

#include <string.h>

#define PRV_RECORDS 8
#define PRV_RECORD_SIZE 8192

static struct {
  char key[FLEET_STORAGE_KEY_MAX_LENGTH + 1];
  unsigned char data[PRV_RECORD_SIZE];
  size_t len;
  int used;
} s_records[PRV_RECORDS];
static enum fleet_status s_write_status;
static unsigned s_writes;
static void (*s_observer)(const char *key, const void *data, size_t len);

void fake_port_storage_reset(void) {
  memset(s_records, 0, sizeof(s_records));
  s_write_status = FLEET_OK;
  s_writes = 0;
  s_observer = NULL;
}

void fake_port_storage_observe_writes(void (*observer)(const char *key, const void *data,
                                                       size_t len)) {
  s_observer = observer;
}

void fake_port_storage_set_write_status(enum fleet_status status) {
  s_write_status = status;
}
unsigned fake_port_storage_write_count(void) {
  return s_writes;
}

static int prv_find(const char *key) {
  for (int i = 0; i < PRV_RECORDS; i++) {
    if (s_records[i].used && strcmp(s_records[i].key, key) == 0)
      return i;
  }
  return -1;
}

enum fleet_status fleet_port_storage_read(const char *key, void *buf, size_t size,
                                          size_t *out_len) {
  int i = prv_find(key);
  if (i < 0)
    return FLEET_ERR_NOT_FOUND;
  if (s_records[i].len > size)
    return FLEET_ERR_BUFFER_TOO_SMALL;
  memcpy(buf, s_records[i].data, s_records[i].len);
  *out_len = s_records[i].len;
  return FLEET_OK;
}

enum fleet_status fleet_port_storage_write(const char *key, const void *data, size_t len) {
  if (s_write_status != FLEET_OK)
    return s_write_status;
  if (strlen(key) > FLEET_STORAGE_KEY_MAX_LENGTH || len > PRV_RECORD_SIZE) {
    return FLEET_ERR_INVALID_ARG;
  }
  int i = prv_find(key);
  for (int k = 0; i < 0 && k < PRV_RECORDS; k++) {
    if (!s_records[k].used)
      i = k;
  }
  if (i < 0)
    return FLEET_ERR_IO;
  if (s_observer != NULL)
    s_observer(key, data, len);
  strcpy(s_records[i].key, key);
  memcpy(s_records[i].data, data, len);
  s_records[i].len = len;
  s_records[i].used = 1;
  s_writes++;
  return FLEET_OK;
}

enum fleet_status fleet_port_storage_erase(const char *key) {
  int i = prv_find(key);
  if (i >= 0)
    s_records[i].used = 0;
  return FLEET_OK;
}
