/**
 * @file fleet_ota_bench_phases.h
 * @brief Where fleet-ota-bench's time goes: the port calls fleet_core makes during an OTA, timed
 *        through the linker's --wrap (firmware/ports/posix/CMakeLists.txt), so the core and the
 *        ports run unchanged.
 */
#pragma once

#include <stdio.h>

/** Print the phases as a JSON object body ("\"sha256\":0.001,...") to @p out. */
void fleet_ota_bench_phases_print(FILE *out);
