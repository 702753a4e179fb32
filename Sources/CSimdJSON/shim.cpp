// A C API over simdjson's DOM parser, so Swift can read the tape without C++ interop.
#include "simdjson_shim.h"
#include <simdjson.h>

// simdjson may read up to SIMDJSON_PADDING (64) bytes past the input; their values do not matter,
// they only have to be readable. Bytes in the same memory page as the input's last byte are (pages
// are at least 4 KiB), so then the input is parsed where it lies; otherwise (~1.6% of inputs: the
// padding would cross a page boundary) simdjson copies it into its own padded buffer first. The
// reads past the end happen inside libsimdjson, which AddressSanitizer builds do not instrument.
static bool padding_is_readable(const uint8_t *bytes, size_t length) {
  if (length == 0) { return false; }
  const uintptr_t last = uintptr_t(bytes) + length - 1;
  return (last >> 12) == ((last + simdjson::SIMDJSON_PADDING) >> 12);
}

int sl_json_parse(const uint8_t *bytes, size_t length, sl_json_tape *out) {
  // One parser per thread: its buffers grow to the largest payload seen and are then reused.
  thread_local simdjson::dom::parser parser;
  auto result = parser.parse(bytes, length, !padding_is_readable(bytes, length));
  if (result.error() != simdjson::SUCCESS) { return int(result.error()); }
  out->tape = parser.doc.tape.get();
  out->strings = parser.doc.string_buf.get();
  return 0;
}
