#include "fleet/backoff.h"

#include "fleet/config.h"

uint32_t fleet_backoff_next_delay_ms(struct fleet_backoff *b, uint32_t random) {
  uint64_t cap = FLEET_CONFIG_BACKOFF_MIN_MS;
  for (uint32_t i = 0; i < b->failures && cap < FLEET_CONFIG_BACKOFF_MAX_MS; i++) {
    cap *= 2u;
  }
  if (cap > FLEET_CONFIG_BACKOFF_MAX_MS)
    cap = FLEET_CONFIG_BACKOFF_MAX_MS;
  if (b->failures < UINT32_MAX)
    b->failures++;
  uint64_t half = cap / 2u;
  return (uint32_t)(half + (half > 0 ? random % (half + 1u) : 0u));
}

void fleet_backoff_reset(struct fleet_backoff *b) {
  b->failures = 0;
}
