/**
 * Go's base64.StdEncoding.DecodeString, which the networkdb-test server
 * uses for entry values (and Docker for keys): padding required, "=" only
 * at the end, nothing outside the alphabet, except that "\r" and "\n" are
 * skipped wherever they stand. Node's Buffer.from(s, "base64") accepts
 * nearly anything silently, and a driver script must see the same
 * refusals, at the same byte, from both implementations.
 */
export class Base64Error extends Error {}

const ALPHABET = /[A-Za-z0-9+/]/;

function isNewline(c: string | undefined): boolean {
  return c === "\n" || c === "\r";
}

/**
 * Index of the byte at which Go's decoder reports "illegal base64 data",
 * or -1 when Go accepts the text. Go reads 4-character quanta; the index
 * it reports depends on how the quantum broke, and these rules (checked
 * against Go's own decoder) give the same number:
 * - a character outside the alphabet: that character;
 * - the text ends inside a quantum: where the quantum began, counting
 *   back only the characters read (skipped newlines stay counted);
 * - "=" after fewer than 2 characters of a quantum: that "=";
 * - "=" after 2 characters: the second "=" must follow (newlines between
 *   them allowed): at the end of the text the error is the text's length,
 *   on another character it is the byte before that character;
 * - anything but newlines after the padding: the first such byte.
 */
function firstBadByte(text: string): number {
  const end = text.length;
  let i = 0;
  const skipNewlines = (): void => {
    while (i < end && isNewline(text[i])) i++;
  };
  for (;;) {
    let got = 0; // alphabet characters of the current quantum
    while (got < 4) {
      if (i === end) return got === 0 ? -1 : i - got;
      const c = text[i++]!;
      if (ALPHABET.test(c)) {
        got++;
        continue;
      }
      if (isNewline(c)) continue;
      if (c !== "=" || got < 2) return i - 1;
      // Padding ends the text: "==" after two characters, "=" after three.
      if (got === 2) {
        skipNewlines();
        if (i === end) return end;
        if (text[i] !== "=") return i - 1;
        i++;
      }
      skipNewlines();
      return i < end ? i : -1;
    }
  }
}

export function decodeStdBase64(text: string): Uint8Array {
  const bad = firstBadByte(text);
  if (bad >= 0) throw new Base64Error(`illegal base64 data at input byte ${bad}`);
  // Valid from here on; Node decodes the same bits once the newlines Go skips are gone.
  return new Uint8Array(Buffer.from(text.replace(/[\r\n]/g, ""), "base64"));
}

export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
