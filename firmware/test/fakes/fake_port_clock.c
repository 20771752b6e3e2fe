#include "fake_port_clock.h"

static uint64_t s_now;
static uint32_t s_random;

void fake_port_clock_set_ms(uint64_t now) {
  s_now = now;
}
void fake_port_clock_set_random(uint32_t value) {
  s_random = value;
}
uint64_t fleet_port_clock_ms(void) {
  return s_now;
}
uint32_t fleet_port_random_u32(void) {
  return s_random;
}
