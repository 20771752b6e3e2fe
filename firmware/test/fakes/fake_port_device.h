#pragma once

/** Public key PEM that fleet_port_device_firmware_public_key() returns (not copied). */
void fake_port_device_set_public_key(const char *pem);
