/**
 * @file log.h
 * @brief Logging macros of the core; they call fleet_port_log() (port/log.h).
 */
#pragma once

#include "fleet/port/log.h"

/** Log an error: something failed and the device does something about it. */
#define FLEET_LOG_ERROR(...) fleet_port_log(FLEET_LOG_LEVEL_ERROR, FLEET_LOG_TAG, __VA_ARGS__)
/** Log a warning: unexpected input that was ignored. */
#define FLEET_LOG_WARN(...) fleet_port_log(FLEET_LOG_LEVEL_WARN, FLEET_LOG_TAG, __VA_ARGS__)
/** Log a state change. */
#define FLEET_LOG_INFO(...) fleet_port_log(FLEET_LOG_LEVEL_INFO, FLEET_LOG_TAG, __VA_ARGS__)
/** Log details useful when debugging. */
#define FLEET_LOG_DEBUG(...) fleet_port_log(FLEET_LOG_LEVEL_DEBUG, FLEET_LOG_TAG, __VA_ARGS__)
