// A C API over simdjson's DOM parser, so Swift can read the tape without C++ interop.
#include "simdjson_shim.h"
#include <simdjson.h>

int sl_json_parse(const uint8_t *bytes, size_t length, sl_json_tape *out) {
  // One parser per thread: its buffers grow to the largest payload seen and are then reused.
  thread_local simdjson::dom::parser parser;
  // realloc_if_needed: the input has no padding, so simdjson copies it into its padded buffer.
  auto result = parser.parse(bytes, length, true);
  if (result.error() != simdjson::SUCCESS) { return int(result.error()); }
  out->tape = parser.doc.tape.get();
  out->strings = parser.doc.string_buf.get();
  return 0;
}
