#!/usr/bin/env python3
"""Checks that every record a producer saw acknowledged is in the log with the bytes it sent.

    sessionlog replay --data DATA | Tools/check_acked.py ACKED

ACKED is what `Tools/loadgen.py --acked` wrote: a line `OFFSET SHA256` per acknowledged record,
the digest of its body with CR and LF as spaces. The replay envelopes on standard input
(docs/operations.md, "Replay envelopes") end with the payload's bytes, CR and LF printed as spaces,
so each is found by its offset and compared by the same digest. Prints a JSON summary; exits 1 if an
acknowledged offset is missing or holds other bytes, or (with a message) if a line cannot be read.
"""
import hashlib
import json
import sys

PAYLOAD = b',"payload":'


def digest_as_replayed(payload):
    """SHA-256 (hex) of a payload's bytes as a replay envelope prints them: CR and LF as spaces.
    The load generator digests what it sent with it; this checker, what an envelope holds."""
    return hashlib.sha256(payload.replace(b"\r", b" ").replace(b"\n", b" ")).hexdigest()


def acknowledged(path):
    """OFFSET → digest; an offset acknowledged twice with two digests is itself a finding."""
    expected, conflicts = {}, []
    with open(path) as lines:
        for number, line in enumerate(lines, 1):
            offset, _, digest = line.strip().partition(" ")
            if not offset.isdigit() or len(digest) != 64:
                raise SystemExit(f"check_acked: {path}:{number}: expected 'OFFSET SHA256', got {line.strip()[:80]!r}")
            if expected.setdefault(int(offset), digest) != digest:
                conflicts.append(int(offset))
    return expected, conflicts


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    expected, conflicts = acknowledged(sys.argv[1])
    found, changed = set(), []
    for number, line in enumerate(sys.stdin.buffer, 1):
        line = line.rstrip(b"\n")
        start = line.find(PAYLOAD)
        if not line.startswith(b'{"offset":') or start < 0 or not line.endswith(b"}"):
            raise SystemExit(f"check_acked: standard input line {number} is not a replay envelope: {line[:80]!r}")
        offset = int(line[len(b'{"offset":'):line.index(b",")])
        if offset in expected:
            found.add(offset)
            if digest_as_replayed(line[start + len(PAYLOAD):-1]) != expected[offset]:
                changed.append(offset)
    missing = sorted(expected.keys() - found)
    print(json.dumps({"acked": len(expected), "found": len(found), "missing": len(missing), "changed": len(changed),
                      "acked_twice_differently": len(conflicts), "first_missing": missing[:5], "first_changed": changed[:5]}))
    raise SystemExit(1 if missing or changed or conflicts else 0)


if __name__ == "__main__":
    main()
