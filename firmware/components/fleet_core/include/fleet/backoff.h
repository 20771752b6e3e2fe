/**
 * @file backoff.h
 * @brief Retry delays: exponential from FLEET_CONFIG_BACKOFF_MIN_MS to FLEET_CONFIG_BACKOFF_MAX_MS
 *        with "equal jitter" (half fixed, half random), so a fleet rejected at once does not
 *        retry in step, and no failure ever retries without a wait.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Backoff state: the number of failures in a row. */
struct fleet_backoff {
  uint32_t failures;
};

/**
 * Record a failure and return the delay before the next attempt.
 *
 * @param b State.
 * @param random A random value (fleet_port_random_u32()).
 * @return Milliseconds to wait; at least FLEET_CONFIG_BACKOFF_MIN_MS / 2.
 */
uint32_t fleet_backoff_next_delay_ms(struct fleet_backoff *b, uint32_t random);

/**
 * Forget past failures after a success.
 *
 * @param b State.
 */
void fleet_backoff_reset(struct fleet_backoff *b);

#ifdef __cplusplus
}
#endif
