/**
 * Streams other nodes open to us, as memberlist's handleConn: read one frame
 * and act on it. A push/pull is answered on the same stream; a user message
 * (NetworkDB's bulk sync) goes to the delegate with no answer; a TCP ping gets
 * an ack. A frame we cannot read is answered with an error frame, except when
 * the peer sent nothing at all.
 */
import type { Config } from "./config.js";
import type { PushPull } from "./push-pull.js";
import { StreamEOF, type StreamIO } from "./stream-io.js";
import type { MemberlistStats } from "./stats.js";
import type { Stream } from "./transport.js";

export async function handleStream(
  config: Config,
  stats: MemberlistStats,
  streams: StreamIO,
  pushPull: PushPull,
  stream: Stream,
): Promise<void> {
  stats.streamsAccepted++;
  try {
    let msg;
    try {
      msg = await streams.readFrame(stream, config.tcpTimeout);
    } catch (err) {
      if (err instanceof StreamEOF) return;
      stats.streamErrors++;
      const text = (err as Error).message;
      config.logger.error(`failed to receive: ${text} from=${stream.remoteAddr}`);
      await streams.writeFrame(stream, { type: "err", body: { Error: text } }, config.tcpTimeout).catch((werr: unknown) => {
        // The receive failure is logged above; a peer that cannot hear why has usually gone already.
        config.logger.debug(`failed to send the error frame to ${stream.remoteAddr}: ${(werr as Error).message}`);
      });
      return;
    }
    switch (msg.type) {
      case "user":
        if (msg.payload.length > 0) config.delegate?.notifyMsg(msg.payload);
        return;
      case "pushPull":
        await pushPull.handleRemoteState(stream, msg);
        return;
      case "ping":
        if (msg.body.Node !== "" && msg.body.Node !== config.name) {
          config.logger.warn(`got ping for unexpected node ${msg.body.Node} from=${stream.remoteAddr}`);
          return;
        }
        await streams.writeFrame(stream, { type: "ack", body: { SeqNo: msg.body.SeqNo, Payload: null } }, config.tcpTimeout);
        return;
      default:
        config.logger.error(`received invalid msgType (${msg.type}) from=${stream.remoteAddr}`);
    }
  } catch (err) {
    stats.streamErrors++;
    config.logger.error(`stream from ${stream.remoteAddr} failed: ${(err as Error).message}`);
  } finally {
    stream.close();
  }
}
