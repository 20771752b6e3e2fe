/**
 * @file status.h
 * @brief Status codes returned by every fleet_core function (0 means OK).
 *
 * One X-macro list gives the enum and the strings, as Golioth's golioth_status.h does. Platform
 * errors (errno, esp_err_t, mbedTLS codes) are not collapsed into a generic failure: a port reports
 * them through fleet_port_log() and returns the closest code below; codes from
 * FLEET_STATUS_PLATFORM_BASE upwards are reserved for a port's own values (Memfault core/errors.h).
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define FLEET_STATUS_LIST(X)                                              \
  X(FLEET_OK, 0, "ok")                                                    \
  X(FLEET_ERR_INVALID_ARG, 1, "invalid argument")                         \
  X(FLEET_ERR_BUFFER_TOO_SMALL, 2, "buffer too small")                    \
  X(FLEET_ERR_INVALID_STATE, 3, "invalid state")                          \
  X(FLEET_ERR_NOT_FOUND, 4, "not found")                                  \
  X(FLEET_ERR_PARSE, 5, "malformed input")                                \
  X(FLEET_ERR_UNSUPPORTED, 6, "unsupported")                              \
  X(FLEET_ERR_IO, 7, "i/o error")                                         \
  X(FLEET_ERR_TIMEOUT, 8, "timeout")                                      \
  X(FLEET_ERR_NETWORK, 9, "network error")                                \
  X(FLEET_ERR_REJECTED, 10, "rejected by the cloud")                      \
  X(FLEET_ERR_IMAGE_MAGIC, 20, "not an ESP image (bad magic)")            \
  X(FLEET_ERR_IMAGE_NOT_APP, 21, "image has no app descriptor")           \
  X(FLEET_ERR_IMAGE_WRONG_CHIP, 22, "image is for another chip")          \
  X(FLEET_ERR_IMAGE_TOO_LARGE, 23, "image larger than declared size")     \
  X(FLEET_ERR_IMAGE_SIZE, 24, "image size differs from declared size")    \
  X(FLEET_ERR_IMAGE_HASH, 25, "image SHA-256 mismatch")                   \
  X(FLEET_ERR_IMAGE_SIGNATURE, 26, "image signature invalid")             \
  X(FLEET_ERR_VERSION_NOT_NEWER, 30, "image version is not newer")        \
  X(FLEET_ERR_SECURE_VERSION, 31, "image secure_version is too low")      \
  X(FLEET_ERR_VERSION_FORMAT, 32, "malformed version string")             \
  X(FLEET_ERR_VERSION_MISMATCH, 33, "image version differs from the job") \
  X(FLEET_ERR_HTTP_STATUS, 40, "unexpected HTTP status")                  \
  X(FLEET_ERR_HTTP_RANGE, 41, "Content-Range does not match the request") \
  X(FLEET_ERR_CANCELED, 50, "job canceled")                               \
  X(FLEET_ERR_JOB_DOCUMENT, 51, "invalid job document")                   \
  X(FLEET_ERR_PLATFORM_BASE, 1000, "platform error")

/** Status of a fleet_core or port call. FLEET_OK is 0; everything else is an error. */
enum fleet_status {
#define FLEET_STATUS_ENUM(name, value, text) name = value,
  FLEET_STATUS_LIST(FLEET_STATUS_ENUM)
#undef FLEET_STATUS_ENUM
};

/**
 * Describe a status code.
 *
 * @param status Any value, including unknown ones.
 * @return A static, NUL-terminated description; "unknown status" for values not in the list.
 */
const char *fleet_status_to_str(enum fleet_status status);

/** Return the status of @p expr from the calling function unless it is FLEET_OK. */
#define FLEET_RETURN_IF_ERROR(expr)               \
  do {                                            \
    enum fleet_status fleet_rie_status_ = (expr); \
    if (fleet_rie_status_ != FLEET_OK) {          \
      return fleet_rie_status_;                   \
    }                                             \
  } while (0)

#ifdef __cplusplus
}
#endif
