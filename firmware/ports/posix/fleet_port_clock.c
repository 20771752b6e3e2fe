/* Clock port: CLOCK_MONOTONIC and getrandom(2). */
#include <sys/random.h>
#include <time.h>

#include "fleet/port/clock.h"

uint64_t fleet_port_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint32_t fleet_port_random_u32(void) {
  uint32_t value = 0;
  if (getrandom(&value, sizeof(value), 0) != (ssize_t)sizeof(value)) {
    value = (uint32_t)fleet_port_clock_ms();
  }
  return value;
}
