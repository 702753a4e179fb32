#ifndef SESSIONLOG_SIMDJSON_SHIM_H
#define SESSIONLOG_SIMDJSON_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A parsed JSON text in simdjson's tape format (simdjson/doc/tape.md): `tape[0]` is the root
/// word, whose low 56 bits give the tape's length in words (the last word is the closing root).
/// Strings are in `strings`, each a 32-bit little-endian length, the unescaped bytes and a NUL;
/// the buffer holds at least 5/3 of the input's length plus 64 bytes. Both stay valid until the
/// next call of sl_json_parse on the same thread, and the caller may annotate the tape in place.
typedef struct {
  uint64_t *tape;
  const uint8_t *strings;
} sl_json_tape;

/// Parses `length` bytes with this thread's simdjson DOM parser (full UTF-8 validation, RFC 8259
/// grammar). Returns 0 and fills `out` on success, otherwise simdjson's non-zero error code.
int sl_json_parse(const uint8_t *bytes, size_t length, sl_json_tape *out);

#ifdef __cplusplus
}
#endif

#endif
