/**
 * Go's base64.StdEncoding.DecodeString, which the networkdb-test server
 * uses for entry values: padding required, no whitespace, nothing outside
 * the alphabet. Node's Buffer.from(s, "base64") accepts all of that
 * silently, and a driver script must see the same refusals from both nodes.
 */
export class Base64Error extends Error {}

/** Index of the first byte Go would refuse, or -1 when the text is canonical base64. */
function firstBadByte(text: string): number {
  const data = /^[A-Za-z0-9+/]*/.exec(text)![0].length;
  let pad = 0;
  while (pad < 2 && text[data + pad] === "=") pad++;
  if (data + pad < text.length) return data + pad; // a byte outside the alphabet, or "=" too many
  if (text.length % 4 !== 0) return text.length - (text.length % 4); // a quantum cut short
  if (pad > 0 && (data % 4) + pad !== 4) return data; // padding that does not end a quantum
  return -1;
}

export function decodeStdBase64(text: string): Uint8Array {
  const bad = firstBadByte(text);
  if (bad >= 0) throw new Base64Error(`illegal base64 data at input byte ${bad}`);
  return new Uint8Array(Buffer.from(text, "base64"));
}

export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
