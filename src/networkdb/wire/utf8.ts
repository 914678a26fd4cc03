/**
 * UTF-8 text from the wire (Go strings: invalid bytes become U+FFFD, as
 * Go's conversions do). Short ASCII, which nearly every string of both
 * protocols is (field names, node names, network IDs, keys), skips the
 * decoder's per-call overhead for the same result.
 */
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Up to this length, ASCII is decoded by hand. */
const SHORT = 64;

export function decodeUtf8(b: Uint8Array): string {
  if (b.length <= SHORT) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
  }
  return decoder.decode(b);
}
