/**
 * CRC-32/IEEE (the zlib / Go `crc32.ChecksumIEEE` one: reflected polynomial
 * 0xEDB88320, initial value and final xor 0xFFFFFFFF).
 *
 * node:zlib only gained crc32() in Node 22 and cnm supports Node 20, so this is
 * the classic byte-at-a-time table method; memberlist CRCs cover at most one
 * UDP datagram, so nothing fancier is worth it.
 */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32/IEEE of `data`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}
