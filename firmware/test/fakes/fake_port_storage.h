#pragma once

#include "fleet/port/storage.h"

/** Empty the store. */
void fake_port_storage_reset(void);
/** Make writes fail (as a full or broken flash would) until called with FLEET_OK. */
void fake_port_storage_set_write_status(enum fleet_status status);
/** Number of successful writes. */
unsigned fake_port_storage_write_count(void);
/** Call @p observer (NULL: none) with each record as it is written, before it replaces the old. */
void fake_port_storage_observe_writes(void (*observer)(const char *key, const void *data,
                                                       size_t len));
