/**
 * @file config.h
 * @brief Compile-time configuration of fleet_core.
 *
 * A port may define FLEET_PORT_CONFIG_FILE (e.g. -DFLEET_PORT_CONFIG_FILE="fleet_port_config.h")
 * to override any value below; everything not overridden gets the default (shape of Golioth's
 * include/golioth/config.h). All buffers in the core are sized from these macros: nothing is
 * allocated at run time, and nothing grows with the image size.
 */
#pragma once

#ifdef FLEET_PORT_CONFIG_FILE
#include FLEET_PORT_CONFIG_FILE
#endif

/** Bytes written to the OTA slot per call; flash sectors are 4 KB on ESP32. */
#ifndef FLEET_CONFIG_OTA_WRITE_SIZE
#define FLEET_CONFIG_OTA_WRITE_SIZE 4096
#endif

/** Persist the download offset after this many bytes (a multiple of the write size). */
#ifndef FLEET_CONFIG_OTA_CHECKPOINT_BYTES
#define FLEET_CONFIG_OTA_CHECKPOINT_BYTES (64 * 1024)
#endif

/**
 * ... and at most this often, in milliseconds. On a fast link this bounds the flash/NVS writes
 * (and fsyncs on POSIX) per OTA; a power cut then costs at most this long of transfer, or
 * FLEET_CONFIG_OTA_CHECKPOINT_BYTES on a slow link. 0 checkpoints on bytes alone.
 */
#ifndef FLEET_CONFIG_OTA_CHECKPOINT_MIN_INTERVAL_MS
#define FLEET_CONFIG_OTA_CHECKPOINT_MIN_INTERVAL_MS 1000
#endif

/** How long a new app may stay PENDING_VERIFY before it rolls itself back, in milliseconds. */
#ifndef FLEET_CONFIG_OTA_VERIFY_TIMEOUT_MS
#define FLEET_CONFIG_OTA_VERIFY_TIMEOUT_MS (120 * 1000)
#endif

/** First retry delay after a rejection or a failed connection, in milliseconds. */
#ifndef FLEET_CONFIG_BACKOFF_MIN_MS
#define FLEET_CONFIG_BACKOFF_MIN_MS 1000
#endif

/** Longest retry delay, in milliseconds. */
#ifndef FLEET_CONFIG_BACKOFF_MAX_MS
#define FLEET_CONFIG_BACKOFF_MAX_MS (5 * 60 * 1000)
#endif

/** Storage for the port's SHA-256 context (mbedtls_sha256_context is 108 bytes on x86-64). */
#ifndef FLEET_CONFIG_SHA256_CTX_SIZE
#define FLEET_CONFIG_SHA256_CTX_SIZE 256
#endif

/** Largest MQTT payload the core parses: a notify-next carrying a job document of up to 6,144
 * bytes (JOB_DOCUMENT_LIMITS.document in ota/job-document.ts) plus the execution envelope. */
#ifndef FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH
#define FLEET_CONFIG_MQTT_PAYLOAD_MAX_LENGTH 8192
#endif

/** JSON tokens per parsed message. */
#ifndef FLEET_CONFIG_JSON_MAX_TOKENS
#define FLEET_CONFIG_JSON_MAX_TOKENS 96
#endif

/** Thing name: AWS allows 128 characters. */
#define FLEET_THING_NAME_MAX_LENGTH 128
/** Serial number parameter sent to RegisterThing. */
#define FLEET_SERIAL_MAX_LENGTH 64
/** AWS IoT job ids are at most 64 characters. */
#define FLEET_JOB_ID_MAX_LENGTH 64
/** MQTT topic buffer: "$aws/things/<128>/jobs/<64>/update/accepted" fits. */
#define FLEET_TOPIC_MAX_LENGTH 256
/** PEM certificate returned by CreateCertificateFromCsr. */
#define FLEET_CERT_PEM_MAX_LENGTH 2048
/** PEM EC P-256 private key. */
#define FLEET_KEY_PEM_MAX_LENGTH 512
/** PEM CSR for an EC P-256 key. */
#define FLEET_CSR_PEM_MAX_LENGTH 1024
/** certificateOwnershipToken from CreateCertificateFromCsr. */
#define FLEET_OWNERSHIP_TOKEN_MAX_LENGTH 1024
/** Download URL from the job document (presigned S3 URLs run long; ota/job-document.ts). */
#define FLEET_URL_MAX_LENGTH 4096
/** ESP app descriptor version field is char[32]. */
#define FLEET_VERSION_MAX_LENGTH 32
/** DER ECDSA P-256 signature: at most 72 bytes. */
#define FLEET_SIGNATURE_DER_MAX_LENGTH 72
/** Reason text reported in statusDetails. */
#define FLEET_REASON_MAX_LENGTH 128

#if FLEET_CONFIG_OTA_CHECKPOINT_BYTES % FLEET_CONFIG_OTA_WRITE_SIZE != 0
#error "FLEET_CONFIG_OTA_CHECKPOINT_BYTES must be a multiple of FLEET_CONFIG_OTA_WRITE_SIZE"
#endif
