#include "fleet_http_response.h"

#include <string.h>
#include <strings.h>

enum {
  PRV_HEAD,
  PRV_BODY_LENGTH,
  PRV_BODY_UNTIL_CLOSE,
  PRV_CHUNK_SIZE,
  PRV_CHUNK_DATA,
  PRV_CHUNK_DATA_END,
  PRV_TRAILER,
  PRV_DONE,
};

void fleet_http_response_init(struct fleet_http_response *r,
                              const struct fleet_http_response_handler *handler) {
  memset(r, 0, sizeof(*r));
  r->handler = handler;
  r->state = PRV_HEAD;
}

bool fleet_http_response_complete(const struct fleet_http_response *r) {
  return r->state == PRV_DONE;
}

static enum fleet_status prv_fail(struct fleet_http_response *r, const char *why) {
  r->why = why;
  return FLEET_ERR_PARSE;
}

/* Decimal or hexadecimal digits of [s, end) into *out; 0 if empty, not digits or over 64 bits. */
static int prv_number(const char *s, const char *end, unsigned base, uint64_t *out) {
  uint64_t value = 0;
  if (s == end)
    return 0;
  for (; s < end; s++) {
    unsigned digit;
    if (*s >= '0' && *s <= '9')
      digit = (unsigned)(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f')
      digit = (unsigned)(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F')
      digit = (unsigned)(*s - 'A' + 10);
    else
      return 0;
    if (value > (UINT64_MAX - digit) / base)
      return 0;
    value = value * base + digit;
  }
  *out = value;
  return 1;
}

static const char *prv_trim_start(const char *s, const char *end) {
  while (s < end && (*s == ' ' || *s == '\t'))
    s++;
  return s;
}

static char *prv_trim_end(const char *s, char *end) {
  while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  return end;
}

/* The head is complete in r->head (NUL-terminated, lines ending in LF or CRLF): parse it. */
static enum fleet_status prv_parse_head(struct fleet_http_response *r, const char **content_range) {
  char *line = r->head;
  char *eol = strchr(line, '\n');
  char *line_end = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
  /* "HTTP/1.x SSS reason" (RFC 9112 section 4) */
  if (line_end - line < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ' ||
      (line_end - line > 12 && line[12] != ' ')) {
    return prv_fail(r, "status line is not \"HTTP/1.x <3-digit code> <reason>\"");
  }
  uint64_t status = 0;
  if (!prv_number(line + 9, line + 12, 10, &status) || status < 100)
    return prv_fail(r, "status code is not 3 digits from 100");
  r->status = (int)status;
  *content_range = NULL;
  r->chunked = false;
  r->has_length = false;
  for (line = eol + 1; *line != '\0' && *line != '\r' && *line != '\n'; line = eol + 1) {
    eol = strchr(line, '\n');
    line_end = prv_trim_end(line, eol > line && eol[-1] == '\r' ? eol - 1 : eol);
    char *colon = memchr(line, ':', (size_t)(line_end - line));
    if (colon == NULL || colon == line || colon[-1] == ' ' || colon[-1] == '\t')
      return prv_fail(r, "header line without \"name:\"");
    const char *value = prv_trim_start(colon + 1, line_end);
    size_t name_len = (size_t)(colon - line);
    if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
      uint64_t length = 0;
      if (!prv_number(value, line_end, 10, &length))
        return prv_fail(r, "Content-Length is not a decimal number");
      if (r->has_length && length != r->length)
        return prv_fail(r, "two different Content-Length headers");
      r->has_length = true;
      r->length = length;
    } else if (name_len == 13 && strncasecmp(line, "Content-Range", 13) == 0) {
      *line_end = '\0'; /* the value is handed on as a C string */
      *content_range = value;
    } else if (name_len == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
      /* only "chunked" (last) is decoded: a GET sends no Accept-Encoding, and S3 compresses
       * nothing it was not asked to */
      size_t n = (size_t)(line_end - value);
      if (n != 7 || strncasecmp(value, "chunked", 7) != 0)
        return prv_fail(r, "Transfer-Encoding other than \"chunked\"");
      r->chunked = true;
    }
  }
  return FLEET_OK;
}

/* True when the head collected so far ends with an empty line ("\n\n" or "\n\r\n"). */
static bool prv_head_ended(const struct fleet_http_response *r) {
  size_t n = r->head_len;
  return n >= 2 && r->head[n - 1] == '\n' &&
         (r->head[n - 2] == '\n' || (n >= 3 && r->head[n - 2] == '\r' && r->head[n - 3] == '\n'));
}

/* Feed head bytes until the empty line; *taken receives the bytes taken. */
static enum fleet_status prv_head(struct fleet_http_response *r, const uint8_t *data, size_t len,
                                  size_t *taken) {
  size_t i = 0;
  bool ended = false;
  while (i < len && !ended) {
    if (r->head_len == sizeof(r->head) - 1)
      return prv_fail(r, "status line and headers longer than 4096 bytes");
    r->head[r->head_len++] = (char)data[i++];
    ended = data[i - 1] == '\n' && prv_head_ended(r);
  }
  *taken = i;
  if (!ended)
    return FLEET_OK; /* more to come */
  size_t n = r->head_len;
  r->head[n] = '\0';
  const char *content_range = NULL;
  FLEET_RETURN_IF_ERROR(prv_parse_head(r, &content_range));
  r->head_len = 0;
  if (r->status < 200) {
    if (r->status == 101)
      return prv_fail(r, "101 Switching Protocols to a GET");
    return FLEET_OK; /* interim response: the real one follows */
  }
  FLEET_RETURN_IF_ERROR(r->handler->on_headers(r->handler->ctx, r->status, content_range,
                                               r->has_length ? r->length : UINT64_MAX));
  if (r->status == 204 || r->status == 304) {
    r->state = PRV_DONE;
  } else if (r->chunked) {
    r->state = PRV_CHUNK_SIZE;
  } else if (r->has_length) {
    r->remaining = r->length;
    r->state = r->length == 0 ? PRV_DONE : PRV_BODY_LENGTH;
  } else {
    r->state = PRV_BODY_UNTIL_CLOSE;
  }
  return FLEET_OK;
}

/* Collect one line of chunk framing (size line, the CRLF after data, a trailer line) in
 * r->chunk_line; returns 1 with the line (without CR/LF) when complete. */
static int prv_framing_line(struct fleet_http_response *r, uint8_t c, enum fleet_status *status) {
  *status = FLEET_OK;
  if (c == '\n') {
    if (r->chunk_line_len > 0 && r->chunk_line[r->chunk_line_len - 1] == '\r')
      r->chunk_line_len--;
    r->chunk_line[r->chunk_line_len] = '\0';
    return 1;
  }
  if (r->chunk_line_len == sizeof(r->chunk_line) - 1) {
    /* chunk extensions or trailers are not needed: keep only the start of a long line */
    if (r->state == PRV_CHUNK_SIZE && memchr(r->chunk_line, ';', r->chunk_line_len) == NULL)
      *status = prv_fail(r, "chunk size line longer than 63 bytes");
    return 0;
  }
  r->chunk_line[r->chunk_line_len++] = (char)c;
  return 0;
}

static enum fleet_status prv_chunk_framing(struct fleet_http_response *r, uint8_t c) {
  enum fleet_status status;
  if (!prv_framing_line(r, c, &status))
    return status;
  const char *line = r->chunk_line;
  size_t n = r->chunk_line_len;
  r->chunk_line_len = 0;
  if (r->state == PRV_CHUNK_DATA_END) {
    if (n != 0)
      return prv_fail(r, "chunk data longer than its size line says");
    r->state = PRV_CHUNK_SIZE;
  } else if (r->state == PRV_CHUNK_SIZE) {
    const char *end = line + strcspn(line, "; \t");
    uint64_t size = 0;
    if (!prv_number(line, end, 16, &size))
      return prv_fail(r, "chunk size is not a hexadecimal number");
    r->remaining = size;
    r->state = size == 0 ? PRV_TRAILER : PRV_CHUNK_DATA;
  } else if (n == 0) { /* PRV_TRAILER: the empty line ends the message */
    r->state = PRV_DONE;
  }
  return FLEET_OK;
}

enum fleet_status fleet_http_response_feed(struct fleet_http_response *r, const uint8_t *data,
                                           size_t len, size_t *consumed) {
  size_t pos = 0;
  enum fleet_status status = FLEET_OK;
  while (pos < len && r->state != PRV_DONE && status == FLEET_OK) {
    size_t n = len - pos;
    switch (r->state) {
      case PRV_HEAD:
        status = prv_head(r, data + pos, n, &n);
        break;
      case PRV_BODY_LENGTH:
      case PRV_CHUNK_DATA:
        if (n > r->remaining)
          n = (size_t)r->remaining;
        status = r->handler->on_body(r->handler->ctx, data + pos, n);
        r->remaining -= n;
        if (r->remaining == 0)
          r->state = r->state == PRV_BODY_LENGTH ? PRV_DONE : PRV_CHUNK_DATA_END;
        break;
      case PRV_BODY_UNTIL_CLOSE:
        status = r->handler->on_body(r->handler->ctx, data + pos, n);
        break;
      default: /* chunk framing, a byte at a time */
        n = 1;
        status = prv_chunk_framing(r, data[pos]);
        break;
    }
    pos += n;
  }
  *consumed = pos;
  return status;
}

enum fleet_status fleet_http_response_end(struct fleet_http_response *r) {
  switch (r->state) {
    case PRV_DONE:
      return FLEET_OK;
    case PRV_BODY_UNTIL_CLOSE:
      r->state = PRV_DONE;
      return FLEET_OK;
    case PRV_HEAD:
      r->why = "connection closed before the end of the headers";
      return FLEET_ERR_NETWORK;
    case PRV_BODY_LENGTH:
      r->why = "connection closed before Content-Length bytes of body";
      return FLEET_ERR_NETWORK;
    default:
      r->why = "connection closed inside the chunked body";
      return FLEET_ERR_NETWORK;
  }
}
