/**
 * @file json.h
 * @brief A small JSON (RFC 8259) tokenizer and writer over caller-provided buffers.
 *
 * The tokenizer validates the whole text and fills a caller-owned token array; values are views
 * (offset + length) into the text, as coreJobs' job_parser.h returns pointer + length fields.
 * No allocation, bounded nesting (FLEET_JSON_MAX_DEPTH), so a hostile payload cannot exhaust the
 * stack or the heap.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Deepest nesting accepted; AWS job and provisioning messages nest 4 levels. */
#define FLEET_JSON_MAX_DEPTH 16

/** Kind of a token. */
enum fleet_json_type {
  FLEET_JSON_OBJECT = 1,
  FLEET_JSON_ARRAY,
  FLEET_JSON_STRING, /**< start/end exclude the quotes; escapes are not decoded. */
  FLEET_JSON_NUMBER,
  FLEET_JSON_BOOL,
  FLEET_JSON_NULL,
};

/** One value (object members are a STRING key token followed by the value's tokens). */
struct fleet_json_token {
  enum fleet_json_type type;
  uint32_t start; /**< Offset of the first byte. */
  uint32_t end;   /**< Offset one past the last byte. */
  uint32_t next;  /**< Index of the token after this value and all it contains. */
};

/** A parsed document: the text plus its tokens (token 0 is the root value). */
struct fleet_json {
  const char *text;
  size_t len;
  struct fleet_json_token *tokens;
  size_t count;
};

/**
 * Tokenize a complete JSON text.
 *
 * Example: {"a":{"b":"x"}} gives tokens OBJECT, STRING a, OBJECT, STRING b, STRING x.
 *
 * @param doc Receives the document.
 * @param text JSON text (need not be NUL-terminated).
 * @param len Length of @p text.
 * @param tokens Caller-provided token storage.
 * @param capacity Number of entries in @p tokens.
 * @param error_offset Receives the byte offset of a syntax error (may be NULL).
 * @return FLEET_OK; FLEET_ERR_PARSE for invalid JSON; FLEET_ERR_BUFFER_TOO_SMALL when the tokens
 *         run out.
 */
enum fleet_status fleet_json_parse(struct fleet_json *doc, const char *text, size_t len,
                                   struct fleet_json_token *tokens, size_t capacity,
                                   size_t *error_offset);

/**
 * Find a member of an object by a dot-separated path ("execution.jobDocument.version").
 *
 * @param doc Document.
 * @param object Index of an OBJECT token (0 for the root).
 * @param path Member names separated by '.'.
 * @return Index of the value token, or -1 if absent or a step is not an object.
 */
int fleet_json_find(const struct fleet_json *doc, int object, const char *path);

/**
 * Copy a STRING value with escapes decoded (\uXXXX becomes UTF-8) and a NUL terminator.
 *
 * @param doc Document.
 * @param index Token index (may be -1: then FLEET_ERR_NOT_FOUND).
 * @param out Receives the string.
 * @param size Size of @p out.
 * @param out_len Receives the length without the NUL (may be NULL).
 * @return FLEET_OK; FLEET_ERR_NOT_FOUND; FLEET_ERR_PARSE if not a string or a bad escape;
 *         FLEET_ERR_BUFFER_TOO_SMALL.
 */
enum fleet_status fleet_json_get_string(const struct fleet_json *doc, int index, char *out,
                                        size_t size, size_t *out_len);

/**
 * Read a non-negative integer NUMBER (no fraction, no exponent).
 *
 * @param doc Document.
 * @param index Token index (may be -1).
 * @param out Receives the value.
 * @return FLEET_OK; FLEET_ERR_NOT_FOUND; FLEET_ERR_PARSE if not such a number or too large.
 */
enum fleet_status fleet_json_get_u64(const struct fleet_json *doc, int index, uint64_t *out);

/**
 * Compare a STRING value (without decoding escapes) with a NUL-terminated string.
 *
 * @param doc Document.
 * @param index Token index (may be -1).
 * @param str Expected text.
 * @return true if the token is a string equal to @p str.
 */
bool fleet_json_string_equals(const struct fleet_json *doc, int index, const char *str);

/** Output buffer for building JSON; after an overflow every call is a no-op. */
struct fleet_json_writer {
  char *buf;
  size_t size;
  size_t len;
  bool overflow;
};

/**
 * Start writing into @p buf (always NUL-terminated while size > 0).
 *
 * @param w Writer.
 * @param buf Output buffer.
 * @param size Size of @p buf.
 */
void fleet_json_writer_init(struct fleet_json_writer *w, char *buf, size_t size);

/**
 * Append text as is (punctuation, numbers, literals).
 *
 * @param w Writer.
 * @param text NUL-terminated text.
 */
void fleet_json_write_raw(struct fleet_json_writer *w, const char *text);

/**
 * Append a quoted, escaped string.
 *
 * @param w Writer.
 * @param str Bytes of the string.
 * @param len Length of @p str.
 */
void fleet_json_write_string(struct fleet_json_writer *w, const char *str, size_t len);

/**
 * Append an unsigned integer.
 *
 * @param w Writer.
 * @param value Value.
 */
void fleet_json_write_u64(struct fleet_json_writer *w, uint64_t value);

/**
 * Finish writing.
 *
 * @param w Writer.
 * @return FLEET_OK, or FLEET_ERR_BUFFER_TOO_SMALL if anything did not fit.
 */
enum fleet_status fleet_json_writer_finish(const struct fleet_json_writer *w);

#ifdef __cplusplus
}
#endif
