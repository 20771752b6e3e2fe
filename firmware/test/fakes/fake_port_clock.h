#pragma once

#include <stdint.h>

#include "fleet/port/clock.h"

/** Set the time fleet_port_clock_ms() returns. */
void fake_port_clock_set_ms(uint64_t now);
/** Set the value fleet_port_random_u32() returns. */
void fake_port_clock_set_random(uint32_t value);
