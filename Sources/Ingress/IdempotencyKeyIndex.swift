/// The idempotency window's hash index: from a key's digest to the sequence number of its entry in
/// `IdempotencyEntries`, in 8 bytes per slot (a `Dictionary` of the same map costs 24 per bucket).
///
/// Open addressing with linear probing, at most 70% full, removals shifting later slots back (no
/// tombstones). A used slot holds 31 bits of the key's hash and the low 32 bits of the sequence
/// number; the window keeps fewer than 2^32 entries, so those bits name one kept entry, whose key
/// confirms the match. Every sequence number in the index must be of a kept entry.
struct IdempotencyKeyIndex {
    /// 0: empty. Used: bit 63 set, bits 32–62 the hash, bits 0–31 the sequence number's low bits.
    private var slots: [UInt64]
    private(set) var count = 0

    /// An index with room for `keys` keys before it grows.
    init(reservingFor keys: Int = 0) {
        var capacity = 16
        while !Self.fits(keys, in: capacity) { capacity *= 2 }
        slots = Array(repeating: 0, count: capacity)
    }

    private static func fits(_ keys: Int, in capacity: Int) -> Bool { keys * 10 <= capacity * 7 }

    /// 31 bits of the key's hash: SHA-256 bits are uniform, but tests use small digests, so mix.
    @inline(__always) private static func hash(_ key: Digest128) -> UInt64 {
        ((key.high ^ key.low) &* 0x9E37_79B9_7F4A_7C15) >> 33
    }

    /// The hash a used slot holds.
    @inline(__always) private static func storedHash(_ slot: UInt64) -> UInt64 { (slot >> 32) & 0x7FFF_FFFF }

    @inline(__always) private func home(ofHash hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & (slots.count - 1) }

    /// The slot holding `key`, or the empty slot where it would go.
    private func slot(of key: Digest128, hash: UInt64, in entries: IdempotencyEntries) -> (index: Int, found: Bool) {
        var index = home(ofHash: hash)
        while true {
            let slot = slots[index]
            if slot == 0 { return (index, false) }
            if Self.storedHash(slot) == hash && entries[Self.sequence(slot, in: entries)].key == key { return (index, true) }
            index = (index + 1) & (slots.count - 1)
        }
    }

    /// The kept entry whose sequence number has the slot's low 32 bits.
    @inline(__always) private static func sequence(_ slot: UInt64, in entries: IdempotencyEntries) -> Int {
        entries.start + Int(UInt32(truncatingIfNeeded: slot) &- UInt32(truncatingIfNeeded: entries.start))
    }

    /// The sequence number of `key`'s entry, nil when the index does not hold it.
    func sequence(of key: Digest128, in entries: IdempotencyEntries) -> Int? {
        let (index, found) = slot(of: key, hash: Self.hash(key), in: entries)
        return found ? Self.sequence(slots[index], in: entries) : nil
    }

    /// Makes `sequence` (a kept entry, whose key is `key`) the entry of `key`.
    mutating func set(_ key: Digest128, to sequence: Int, in entries: IdempotencyEntries) {
        precondition(entries.count <= Int(UInt32.max), "the idempotency window holds fewer than 2^32 entries")
        if !Self.fits(count + 1, in: slots.count) { grow() }
        let hash = Self.hash(key)
        let (index, found) = slot(of: key, hash: hash, in: entries)
        if !found { count += 1 }
        slots[index] = 1 << 63 | hash << 32 | UInt64(UInt32(truncatingIfNeeded: sequence))
    }

    /// Removes `key`, which the index must hold, when its entry is `sequence` (when a later
    /// entry holds it, the key stays).
    mutating func remove(_ key: Digest128, ifAt sequence: Int, in entries: IdempotencyEntries) {
        let (found, present) = slot(of: key, hash: Self.hash(key), in: entries)
        precondition(present, "removing a key the idempotency index does not hold")
        guard Self.sequence(slots[found], in: entries) == sequence else { return }
        // Backward shift: a later slot of the same run moves into the hole unless its home lies
        // cyclically after the hole (it would then be found before reaching the hole).
        let mask = slots.count - 1
        var hole = found
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let home = home(ofHash: Self.storedHash(slots[next]))
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    /// Doubles the slots; the stored hashes place every key again without reading entries.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        for slot in old where slot != 0 {
            var index = home(ofHash: Self.storedHash(slot))
            while slots[index] != 0 { index = (index + 1) & (slots.count - 1) }
            slots[index] = slot
        }
    }
}
