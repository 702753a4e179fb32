#ifndef SESSIONLOG_CCHECKSUM_H
#define SESSIONLOG_CCHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and Kafka.
/// `crc` is the value returned for the preceding bytes (0 to start); the result is final
/// (already inverted), so `slog_crc32c(slog_crc32c(0, a, n), b, m)` equals the CRC of a‖b.
/// Uses the SSE4.2 `crc32` instruction when the CPU has it, a slicing-by-8 table otherwise.
uint32_t slog_crc32c(uint32_t crc, const void *data, size_t length);

/// 1 when `slog_crc32c` runs on the SSE4.2 instruction, 0 when it uses the portable table.
int slog_crc32c_is_hardware(void);

#endif
