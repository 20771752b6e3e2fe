#include "fleet/json.h"

#include <string.h>

/* Tokenizer state; one per fleet_json_parse() call, on the stack. */
struct prv_parser {
  const char *s;
  size_t len;
  size_t pos;
  struct fleet_json_token *tokens;
  size_t capacity;
  size_t count;
  enum fleet_status status;
};

static void prv_skip_ws(struct prv_parser *p) {
  while (p->pos < p->len) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      break;
    }
    p->pos++;
  }
}

static int prv_fail(struct prv_parser *p, enum fleet_status status) {
  if (p->status == FLEET_OK) {
    p->status = status;
  }
  return -1;
}

static int prv_new_token(struct prv_parser *p, enum fleet_json_type type, size_t start) {
  if (p->count >= p->capacity) {
    return prv_fail(p, FLEET_ERR_BUFFER_TOO_SMALL);
  }
  int index = (int)p->count++;
  p->tokens[index].type = type;
  p->tokens[index].start = (uint32_t)start;
  p->tokens[index].end = (uint32_t)start;
  p->tokens[index].next = (uint32_t)p->count;
  return index;
}

static int prv_is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* String at p->pos (on the opening quote); RFC 8259 section 7. */
static int prv_string(struct prv_parser *p) {
  int index = prv_new_token(p, FLEET_JSON_STRING, p->pos + 1);
  if (index < 0) {
    return -1;
  }
  p->pos++;
  while (p->pos < p->len) {
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->tokens[index].end = (uint32_t)p->pos;
      p->pos++;
      return index;
    }
    if (c < 0x20) {
      return prv_fail(p, FLEET_ERR_PARSE);
    }
    if (c == '\\') {
      p->pos++;
      if (p->pos >= p->len) {
        break;
      }
      char e = p->s[p->pos];
      if (e == 'u') {
        for (int i = 1; i <= 4; i++) {
          if (p->pos + (size_t)i >= p->len || !prv_is_hex(p->s[p->pos + (size_t)i])) {
            return prv_fail(p, FLEET_ERR_PARSE);
          }
        }
        p->pos += 4;
      } else if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
        return prv_fail(p, FLEET_ERR_PARSE);
      }
    }
    p->pos++;
  }
  return prv_fail(p, FLEET_ERR_PARSE);
}

static int prv_number(struct prv_parser *p) {
  size_t start = p->pos;
  if (p->pos < p->len && p->s[p->pos] == '-')
    p->pos++;
  size_t int_start = p->pos;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
    p->pos++;
  size_t int_digits = p->pos - int_start;
  if (int_digits == 0 || (int_digits > 1 && p->s[int_start] == '0')) {
    p->pos = int_start + (int_digits > 1 ? 1 : 0); /* point at the offending digit */
    return prv_fail(p, FLEET_ERR_PARSE);
  }
  if (p->pos < p->len && p->s[p->pos] == '.') {
    p->pos++;
    size_t frac = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
      p->pos++;
    if (p->pos == frac)
      return prv_fail(p, FLEET_ERR_PARSE);
  }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    p->pos++;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
      p->pos++;
    size_t exp = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
      p->pos++;
    if (p->pos == exp)
      return prv_fail(p, FLEET_ERR_PARSE);
  }
  int index = prv_new_token(p, FLEET_JSON_NUMBER, start);
  if (index >= 0)
    p->tokens[index].end = (uint32_t)p->pos;
  return index;
}

static int prv_literal(struct prv_parser *p, const char *word, enum fleet_json_type type) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
    return prv_fail(p, FLEET_ERR_PARSE);
  }
  int index = prv_new_token(p, type, p->pos);
  p->pos += n;
  if (index >= 0)
    p->tokens[index].end = (uint32_t)p->pos;
  return index;
}

static int prv_value(struct prv_parser *p, int depth);

/* Object or array at p->pos (on '{' or '['). */
static int prv_container(struct prv_parser *p, int depth, int is_object) {
  if (depth >= FLEET_JSON_MAX_DEPTH) {
    return prv_fail(p, FLEET_ERR_PARSE);
  }
  int index = prv_new_token(p, is_object ? FLEET_JSON_OBJECT : FLEET_JSON_ARRAY, p->pos);
  if (index < 0)
    return -1;
  char close = is_object ? '}' : ']';
  p->pos++;
  prv_skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
  } else {
    for (;;) {
      prv_skip_ws(p);
      if (is_object) {
        if (p->pos >= p->len || p->s[p->pos] != '"' || prv_string(p) < 0) {
          return prv_fail(p, FLEET_ERR_PARSE);
        }
        prv_skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
          return prv_fail(p, FLEET_ERR_PARSE);
        p->pos++;
      }
      if (prv_value(p, depth + 1) < 0)
        return -1;
      prv_skip_ws(p);
      if (p->pos >= p->len)
        return prv_fail(p, FLEET_ERR_PARSE);
      char c = p->s[p->pos++];
      if (c == close)
        break;
      if (c != ',') {
        p->pos--;
        return prv_fail(p, FLEET_ERR_PARSE);
      }
    }
  }
  p->tokens[index].end = (uint32_t)p->pos;
  p->tokens[index].next = (uint32_t)p->count;
  return index;
}

static int prv_value(struct prv_parser *p, int depth) {
  prv_skip_ws(p);
  if (p->pos >= p->len)
    return prv_fail(p, FLEET_ERR_PARSE);
  char c = p->s[p->pos];
  switch (c) {
    case '{':
      return prv_container(p, depth, 1);
    case '[':
      return prv_container(p, depth, 0);
    case '"':
      return prv_string(p);
    case 't':
      return prv_literal(p, "true", FLEET_JSON_BOOL);
    case 'f':
      return prv_literal(p, "false", FLEET_JSON_BOOL);
    case 'n':
      return prv_literal(p, "null", FLEET_JSON_NULL);
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return prv_number(p);
      return prv_fail(p, FLEET_ERR_PARSE);
  }
}

enum fleet_status fleet_json_parse(struct fleet_json *doc, const char *text, size_t len,
                                   struct fleet_json_token *tokens, size_t capacity,
                                   size_t *error_offset) {
  if (doc == NULL || text == NULL || tokens == NULL || len > UINT32_MAX) {
    return FLEET_ERR_INVALID_ARG;
  }
  struct prv_parser p = {.s = text, .len = len, .tokens = tokens, .capacity = capacity};
  memset(doc, 0, sizeof(*doc));
  if (prv_value(&p, 0) >= 0) {
    prv_skip_ws(&p);
    if (p.pos != p.len) {
      prv_fail(&p, FLEET_ERR_PARSE);
    }
  }
  if (p.status != FLEET_OK) {
    if (error_offset != NULL)
      *error_offset = p.pos;
    return p.status;
  }
  doc->text = text;
  doc->len = len;
  doc->tokens = tokens;
  doc->count = p.count;
  return FLEET_OK;
}

static bool prv_key_equals(const struct fleet_json *doc, int index, const char *key, size_t n) {
  const struct fleet_json_token *t = &doc->tokens[index];
  return t->end - t->start == n && memcmp(doc->text + t->start, key, n) == 0;
}

int fleet_json_find(const struct fleet_json *doc, int object, const char *path) {
  if (doc == NULL || path == NULL || object < 0 || (size_t)object >= doc->count) {
    return -1;
  }
  int current = object;
  const char *segment = path;
  for (;;) {
    const char *dot = strchr(segment, '.');
    size_t n = dot != NULL ? (size_t)(dot - segment) : strlen(segment);
    const struct fleet_json_token *obj = &doc->tokens[current];
    if (obj->type != FLEET_JSON_OBJECT)
      return -1;
    int found = -1;
    uint32_t i = (uint32_t)current + 1;
    while (i < obj->next) {
      uint32_t value = i + 1;
      if (prv_key_equals(doc, (int)i, segment, n)) {
        found = (int)value; /* keep scanning: the last duplicate wins, as in JSON.parse */
      }
      i = doc->tokens[value].next;
    }
    if (found < 0)
      return -1;
    if (dot == NULL)
      return found;
    current = found;
    segment = dot + 1;
  }
}

static int prv_hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

static bool prv_put(char *out, size_t size, size_t *n, char c) {
  if (*n + 1 >= size)
    return false;
  out[(*n)++] = c;
  return true;
}

enum fleet_status fleet_json_get_string(const struct fleet_json *doc, int index, char *out,
                                        size_t size, size_t *out_len) {
  if (doc == NULL || index < 0 || (size_t)index >= doc->count)
    return FLEET_ERR_NOT_FOUND;
  if (out == NULL || size == 0)
    return FLEET_ERR_INVALID_ARG;
  const struct fleet_json_token *t = &doc->tokens[index];
  if (t->type != FLEET_JSON_STRING)
    return FLEET_ERR_PARSE;
  size_t n = 0;
  bool ok = true;
  for (uint32_t i = t->start; i < t->end && ok; i++) {
    char c = doc->text[i];
    if (c != '\\') {
      ok = prv_put(out, size, &n, c);
      continue;
    }
    char e = doc->text[++i];
    static const char kFrom[] = "\"\\/bfnrt";
    static const char kTo[] = "\"\\/\b\f\n\r\t";
    const char *m = strchr(kFrom, e);
    if (e != 'u') {
      ok = prv_put(out, size, &n, kTo[m - kFrom]);
      continue;
    }
    uint32_t cp = 0;
    for (int k = 1; k <= 4; k++)
      cp = (cp << 4) | (uint32_t)prv_hex_value(doc->text[i + k]);
    i += 4;
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return FLEET_ERR_PARSE; /* surrogate pairs never occur in the messages we read */
    }
    if (cp < 0x80) {
      ok = prv_put(out, size, &n, (char)cp);
    } else if (cp < 0x800) {
      ok = prv_put(out, size, &n, (char)(0xC0 | (cp >> 6))) &&
           prv_put(out, size, &n, (char)(0x80 | (cp & 0x3F)));
    } else {
      ok = prv_put(out, size, &n, (char)(0xE0 | (cp >> 12))) &&
           prv_put(out, size, &n, (char)(0x80 | ((cp >> 6) & 0x3F))) &&
           prv_put(out, size, &n, (char)(0x80 | (cp & 0x3F)));
    }
  }
  out[n] = '\0';
  if (!ok)
    return FLEET_ERR_BUFFER_TOO_SMALL;
  if (out_len != NULL)
    *out_len = n;
  return FLEET_OK;
}

enum fleet_status fleet_json_get_u64(const struct fleet_json *doc, int index, uint64_t *out) {
  if (doc == NULL || index < 0 || (size_t)index >= doc->count)
    return FLEET_ERR_NOT_FOUND;
  const struct fleet_json_token *t = &doc->tokens[index];
  if (t->type != FLEET_JSON_NUMBER)
    return FLEET_ERR_PARSE;
  uint64_t value = 0;
  for (uint32_t i = t->start; i < t->end; i++) {
    char c = doc->text[i];
    if (c < '0' || c > '9')
      return FLEET_ERR_PARSE;
    uint64_t digit = (uint64_t)(c - '0');
    if (value > (UINT64_MAX - digit) / 10u)
      return FLEET_ERR_PARSE;
    value = value * 10u + digit;
  }
  *out = value;
  return FLEET_OK;
}

bool fleet_json_string_equals(const struct fleet_json *doc, int index, const char *str) {
  if (doc == NULL || str == NULL || index < 0 || (size_t)index >= doc->count)
    return false;
  if (doc->tokens[index].type != FLEET_JSON_STRING)
    return false;
  return prv_key_equals(doc, index, str, strlen(str));
}

void fleet_json_writer_init(struct fleet_json_writer *w, char *buf, size_t size) {
  w->buf = buf;
  w->size = size;
  w->len = 0;
  w->overflow = size == 0;
  if (size > 0)
    buf[0] = '\0';
}

static void prv_write_char(struct fleet_json_writer *w, char c) {
  if (w->overflow)
    return;
  if (w->len + 1 >= w->size) {
    w->overflow = true;
    return;
  }
  w->buf[w->len++] = c;
  w->buf[w->len] = '\0';
}

void fleet_json_write_raw(struct fleet_json_writer *w, const char *text) {
  while (*text != '\0')
    prv_write_char(w, *text++);
}

void fleet_json_write_string(struct fleet_json_writer *w, const char *str, size_t len) {
  static const char kHex[] = "0123456789abcdef";
  prv_write_char(w, '"');
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)str[i];
    if (c == '"' || c == '\\') {
      prv_write_char(w, '\\');
      prv_write_char(w, (char)c);
    } else if (c == '\n') {
      fleet_json_write_raw(w, "\\n");
    } else if (c == '\r') {
      fleet_json_write_raw(w, "\\r");
    } else if (c < 0x20) {
      fleet_json_write_raw(w, "\\u00");
      prv_write_char(w, kHex[c >> 4]);
      prv_write_char(w, kHex[c & 0xF]);
    } else {
      prv_write_char(w, (char)c);
    }
  }
  prv_write_char(w, '"');
}

void fleet_json_write_u64(struct fleet_json_writer *w, uint64_t value) {
  char digits[21];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + value % 10u);
    value /= 10u;
  } while (value != 0);
  while (n > 0)
    prv_write_char(w, digits[--n]);
}

enum fleet_status fleet_json_writer_finish(const struct fleet_json_writer *w) {
  return w->overflow ? FLEET_ERR_BUFFER_TOO_SMALL : FLEET_OK;
}
