#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>

uint8_t *fixture_read(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", FLEET_FIXTURES_DIR, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "fixture %s not found (expected ../shared beside the repository)\n", path);
    abort();
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc((size_t)size);
  if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size)
    abort();
  fclose(f);
  *len = (size_t)size;
  return data;
}
