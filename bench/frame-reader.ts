// A WebSocket client that does no more than bench:fanout's measuring needs, on a plain TCP
// socket: the opening handshake (RFC 6455 4.1, the accept key checked), masked text frames out,
// and frames in handed over as a range of the bytes they arrived in, not as a string or a Buffer
// of their own. A ping is answered with its pong, a close ends the socket; a fragmented or
// masked frame from the server (which jobgraph never sends) is reported as an error.
//
// Why not `ws`: the benchmark's 1,000 clients share the server's two cores, and ws's receiver
// (a Writable stream per socket, a Buffer, a UTF-8 check and a string per message) was most of
// what a client process spent on 750,000 messages; every core-second the clients spend is taken
// from the server being measured. The bytes on the wire are the same.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";

export interface FrameReader {
  /** sends `text` as one masked text frame */
  send(text: string): void;
  close(): void;
}

export interface FrameHandlers {
  /** the handshake was accepted */
  open(): void;
  /** a text frame's payload is `bytes[from, to)`; the bytes are only valid during the call */
  text(bytes: Buffer, from: number, to: number): void;
  error(err: Error): void;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export function openFrameReader(url: string, protocol: string, on: FrameHandlers): FrameReader {
  const { hostname, port, pathname, search } = new URL(url);
  const key = randomBytes(16).toString("base64");
  const accept = createHash("sha1").update(key + GUID).digest("base64");
  const socket = net.connect({ host: hostname, port: Number(port) });
  socket.setNoDelay(true);
  socket.on("error", (e) => on.error(e));
  socket.write(
    `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  const frame = (op: number, payload: Buffer) => {
    // client frames are masked (RFC 6455 5.3)
    const n = payload.length;
    const head = n < 126 ? 2 : 4;
    const out = Buffer.allocUnsafe(head + 4 + n);
    out[0] = 0x80 | op;
    if (n < 126) out[1] = 0x80 | n;
    else {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(n, 2);
    }
    const mask = randomBytes(4);
    mask.copy(out, head);
    for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
    socket.write(out);
  };
  let upgraded = false;
  let rest: Buffer | null = null;
  socket.on("data", (chunk: Buffer) => {
    const bytes = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    let at = 0;
    if (!upgraded) {
      const end = bytes.indexOf("\r\n\r\n");
      if (end < 0) return void (rest = bytes);
      const head = bytes.toString("latin1", 0, end);
      if (!head.startsWith("HTTP/1.1 101") || !head.includes(`Sec-WebSocket-Accept: ${accept}`)) {
        socket.destroy();
        return on.error(new Error(`handshake refused: ${head.split("\r\n")[0]}`));
      }
      upgraded = true;
      at = end + 4;
      on.open();
    }
    while (at + 2 <= bytes.length) {
      const first = bytes[at]!;
      const second = bytes[at + 1]!;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        if (at + 4 > bytes.length) break;
        length = bytes.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (at + 10 > bytes.length) break;
        length = Number(bytes.readBigUInt64BE(at + 2));
        header = 10;
      }
      const from = at + header;
      const to = from + length;
      if (to > bytes.length) break;
      at = to;
      if (!(first & 0x80) || second & 0x80) {
        socket.destroy();
        return on.error(new Error("the server sent a fragmented or masked frame"));
      }
      const op = first & 0x0f;
      if (op === OP_TEXT) on.text(bytes, from, to);
      else if (op === OP_PING) frame(OP_PONG, bytes.subarray(from, to));
      else if (op === OP_CLOSE) return void socket.end();
    }
    // what is left is the start of a frame: kept, copied (a slice would keep the whole chunk)
    if (at < bytes.length) rest = Buffer.from(bytes.subarray(at));
  });
  return {
    send: (text) => frame(OP_TEXT, Buffer.from(text)),
    close: () => socket.destroy(),
  };
}
