/**
 * @file port/clock.h
 * @brief Port interface: time and randomness.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Monotonic milliseconds since an arbitrary start (does not jump with wall-clock changes).
 *
 * @return Milliseconds.
 */
uint64_t fleet_port_clock_ms(void);

/**
 * Random 32-bit value for backoff jitter and client tokens (not for keys: see port/crypto.h).
 *
 * @return A random value.
 */
uint32_t fleet_port_random_u32(void);

#ifdef __cplusplus
}
#endif
