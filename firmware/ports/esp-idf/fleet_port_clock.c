/* Clock port: esp_timer (microseconds since boot) and the hardware RNG. */
#include "esp_random.h"
#include "esp_timer.h"
#include "fleet/port/clock.h"

uint64_t fleet_port_clock_ms(void) {
  return (uint64_t)esp_timer_get_time() / 1000u;
}

uint32_t fleet_port_random_u32(void) {
  return esp_random();
}
