// The decoder's own module, not the wire's index: that index loads every
// wire codec (protobuf among them), a quarter second that each `cnm` command
// would pay, as the CLI imports this room and never gossips.
import { decodeStdBase64 } from "../networkdb/wire/go-base64.js";
import { UsageError } from "./usage-error.js";

/**
 * A gossip encryption key as given on a command line (cnmd's --gossip-key,
 * networkdb-node's --key): Go's base64.StdEncoding, Docker's form for these
 * keys, so a key Docker takes is taken here and one it refuses is refused at
 * the same byte; and of an AES key's size.
 */
export function decodeKey(text: string, flag = "key"): Uint8Array {
  let key: Uint8Array;
  try {
    key = decodeStdBase64(text);
  } catch (err) {
    throw new UsageError(`--${flag}: "${text}" is not standard base64 (${(err as Error).message})`);
  }
  if (![16, 24, 32].includes(key.length)) {
    throw new UsageError(`--${flag}: a key must be 16, 24 or 32 bytes (AES-128, -192, -256), not ${key.length}`);
  }
  return key;
}
