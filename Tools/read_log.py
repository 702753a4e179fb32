#!/usr/bin/env python3
"""An independent reader of sessionlog logs, written from docs/log-format.md alone.

It does not use sessionlog's code: it reads the segments and the commit marker as the document
specifies, checks every invariant the document lists for segments, batches and records (CRC-32C,
LZ4 block decoding, the SHA-256 hash chain, dense offsets, non-decreasing received_at), and
prints what `sessionlog verify` prints for the same log. Auditors can check a log without
trusting the binary that wrote it; the test suite runs it against logs the binary wrote, so the
document stays complete enough to write a reader from.

    Tools/read_log.py DATA/log [--payloads FILE]    # FILE: each record's payload, one per line
    Tools/read_log.py DATA/log --records            # one JSON line per record (no payloads)

Exit status 0 when every check passes; 1 with the first violation on stderr.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

SEGMENT_MAGIC = b"SLOGSEG\0"
BATCH_MAGIC = 0x314C4253
COMMIT_MAGIC = 0x4D434C53
SEGMENT_HEADER = 32
BATCH_HEADER = 80
RECORD_HEADER = 32
LENGTH_MAX = 64 << 20


class Violation(Exception):
    pass


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _length(source, i, length):
    """A token's 4-bit length; 15 continues in the next bytes, each added, until one is not 255."""
    if length == 15:
        while True:
            extra = source[i]
            i += 1
            length += extra
            if extra != 255:
                break
    return length, i


def lz4_block_decompress(source, raw_length):
    """liblz4's block format: sequences of a token, literals and a back-reference."""
    out = bytearray()
    i, end = 0, len(source)
    while i < end:
        token = source[i]
        literals, i = _length(source, i + 1, token >> 4)
        out += source[i:i + literals]
        i += literals
        if i >= end:  # the last sequence is literals only
            break
        distance = source[i] | source[i + 1] << 8
        match, i = _length(source, i + 2, token & 15)
        match += 4
        start = len(out) - distance
        if distance == 0 or start < 0:
            raise Violation("LZ4 block: a match reaches before the block's start")
        if distance >= match:
            out += out[start:start + match]
        else:  # overlapping: the match repeats bytes it is producing
            for k in range(match):
                out.append(out[start + k])
    if len(out) != raw_length:
        raise Violation("LZ4 block decodes to %d bytes, raw_length says %d" % (len(out), raw_length))
    return bytes(out)


def read_commit(directory):
    path = os.path.join(directory, "COMMIT")
    if not os.path.exists(path):
        return None
    data = open(path, "rb").read()
    if len(data) != 32:
        raise Violation("COMMIT is %d bytes, not 32" % len(data))
    magic, crc = struct.unpack_from("<II", data, 0)
    if magic != COMMIT_MAGIC or crc != crc32c(data[8:32]):
        raise Violation("COMMIT: bad magic or CRC")
    segment_base, end_position, next_offset = struct.unpack_from("<QQQ", data, 8)
    return segment_base, end_position, next_offset


def records_of(body, batch_base, count, first_time, last_time):
    records, position, previous_time = [], 0, first_time
    for index in range(count):
        if position + RECORD_HEADER > len(body):
            raise Violation("record %d runs past the body" % (batch_base + index))
        (length, offset_delta, time_delta, version, reserved, key_length, uid, reason_length,
         payload_length) = struct.unpack_from("<IIqBBHIII", body, position)
        if length != 28 + key_length + reason_length + payload_length:
            raise Violation("record %d: length disagrees with its parts" % (batch_base + index))
        if offset_delta != index or reserved != 0 or time_delta < 0:
            raise Violation("record %d: offset_delta, reserved or received_at_delta" % (batch_base + index))
        received_at = first_time + time_delta
        if received_at < previous_time or received_at > last_time:
            raise Violation("record %d: received_at out of order" % (batch_base + index))
        previous_time = received_at
        start = position + RECORD_HEADER
        key = body[start:start + key_length]
        reason = body[start + key_length:start + key_length + reason_length]
        payload = body[start + key_length + reason_length:start + key_length + reason_length + payload_length]
        records.append({
            "offset": batch_base + index, "received_at": received_at, "v": version, "uid": uid,
            "idempotency_key": key.decode("utf-8") if key_length else None,
            "reason": json.loads(reason) if reason_length else None, "payload": payload,
        })
        position += 4 + length
    if position != len(body):
        raise Violation("batch at offset %d: records do not fill raw_length exactly" % batch_base)
    if count and previous_time != last_time:
        raise Violation("batch at offset %d: last record's received_at is not last_received_at" % batch_base)
    return records


class Log:
    """A log directory read as the document says: `records()` yields every committed record in
    offset order, checking each invariant on the way; then `head` (hex, None when empty) and
    `next_offset` are what `sessionlog verify` reports."""

    def __init__(self, directory):
        self.directory = directory
        self.head = None
        self.next_offset = 0

    def records(self):
        directory = self.directory
        commit = read_commit(directory)
        bases = sorted(int(name[:-4]) for name in os.listdir(directory) if name.endswith(".seg"))
        if commit:
            bases = [base for base in bases if base <= commit[0]]
        next_offset, previous_hash, previous_last_time = 0, bytes(32), None
        for number, base in enumerate(bases):
            name = "%020d.seg" % base
            data = open(os.path.join(directory, name), "rb").read()
            magic, version, kind, header_base, _created, header_crc = struct.unpack_from("<8sHHQqI", data, 0)
            if magic != SEGMENT_MAGIC or version != 1 or kind not in (0, 1) or header_crc != crc32c(data[:28]):
                raise Violation("%s: bad segment header" % name)
            if header_base != base or base != next_offset:
                raise Violation("%s: base offset %d, expected %d" % (name, header_base, next_offset))
            end = len(data)
            if commit and commit[0] == base:
                end = min(end, commit[1])
            position = SEGMENT_HEADER
            while position < end:
                if data[position] == 0 and number == len(bases) - 1:
                    break  # the active segment's preallocated zeros
                if position + BATCH_HEADER > end:
                    if commit:
                        raise Violation("%s: batch at byte %d cut short" % (name, position))
                    break  # no commit marker: a torn tail ends the readable log
                (magic, crc, stored, raw, batch_base, count, codec, flags, first_time, last_time) = struct.unpack_from(
                    "<IIIIQIHHqq", data, position)
                stop = position + BATCH_HEADER + stored
                if magic != BATCH_MAGIC or stored > LENGTH_MAX or raw > LENGTH_MAX or stop > end:
                    if not commit:
                        break
                    raise Violation("%s: bad batch at byte %d" % (name, position))
                batch = data[position:stop]
                if crc != crc32c(batch[8:]):
                    raise Violation("%s: batch at byte %d fails its CRC" % (name, position))
                if count < 1 or codec not in (0, 1) or flags != 0 or (codec == 0 and stored != raw):
                    raise Violation("%s: batch at byte %d: count, codec or flags" % (name, position))
                if batch_base != next_offset or batch[48:80] != previous_hash:
                    raise Violation("%s: batch at byte %d breaks the offsets or the hash chain" % (name, position))
                if last_time < first_time or (previous_last_time is not None and first_time < previous_last_time):
                    raise Violation("%s: batch at byte %d: received_at goes back" % (name, position))
                body = batch[BATCH_HEADER:]
                if codec == 1:
                    body = lz4_block_decompress(body, raw)
                for record in records_of(body, batch_base, count, first_time, last_time):
                    yield record
                previous_hash = hashlib.sha256(batch).digest()
                previous_last_time, next_offset, position = last_time, batch_base + count, stop
        if commit and next_offset != commit[2]:
            raise Violation("the segments end at offset %d, COMMIT says %d" % (next_offset, commit[2]))
        self.head = previous_hash.hex() if next_offset else None
        self.next_offset = next_offset


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="a log directory: DATA/log or DATA/rejected")
    parser.add_argument("--payloads", help="write each record's payload to this file, one per line")
    parser.add_argument("--records", action="store_true", help="print each record's fields as a JSON line")
    arguments = parser.parse_args()
    payloads = open(arguments.payloads, "wb") if arguments.payloads else None
    log = Log(arguments.directory)
    try:
        for record in log.records():
            if payloads:
                payloads.write(record["payload"] + b"\n")
            if arguments.records:
                fields = {k: v for k, v in record.items() if k != "payload"}
                print(json.dumps(fields, separators=(",", ":")))
    except (Violation, struct.error, IndexError) as error:
        print("read_log: %s: %s" % (arguments.directory, error), file=sys.stderr)
        return 1
    finally:
        if payloads:
            payloads.close()
    last = log.next_offset - 1 if log.next_offset else None
    print(json.dumps({"last_offset": last, "head": log.head}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
