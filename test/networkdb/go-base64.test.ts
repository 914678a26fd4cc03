// Go's std base64 in the wire code, without a process: what Go refuses, at the
// byte Go names (the same cases networkdb-node's HTTP surface is checked with).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Base64Error, decodeStdBase64, encodeStdBase64 } from "../../src/networkdb/wire/index.js";

describe("go-base64", () => {
  it("decodes what Go decodes, skipping \\r and \\n wherever they stand", () => {
    assert.equal(Buffer.from(decodeStdBase64("aGVsbG8=")).toString(), "hello");
    assert.equal(Buffer.from(decodeStdBase64("aGVs\r\nbG8=\n")).toString(), "hello");
    assert.equal(Buffer.from(decodeStdBase64("YQ=\n=")).toString(), "a");
    assert.equal(decodeStdBase64("").length, 0);
    assert.equal(encodeStdBase64(new Uint8Array([0xfb, 0xff])), "+/8=");
  });

  it("refuses at the byte Go's decoder names", () => {
    // Each pair was checked against Go's base64.StdEncoding.DecodeString.
    const refused: [string, number][] = [
      ["aGVsbG8", 4],
      ["aG!sbG8=", 2],
      ["aGVs bG8=", 4],
      ["YQ=", 3],
      ["YQ=x", 2],
      ["Y===", 1],
      ["YQ==YQ==", 4],
      ["YQ", 0],
      ["-_8=", 0],
    ];
    for (const [text, at] of refused) {
      assert.throws(() => decodeStdBase64(text), (e: unknown) => e instanceof Base64Error && e.message === `illegal base64 data at input byte ${at}`, JSON.stringify(text));
    }
  });
});
