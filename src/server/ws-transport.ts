// graphql-ws on a `ws` server — what graphql-ws/use/ws does (protocol check, keep-alive pings,
// close handling), with one difference: writes are batched per socket. use/ws writes every
// message with its own syscall and waits for it before the next one; at 1,000 subscribers × a few
// hundred events a second, those writes were 40% of the server's CPU (`writev` in a profile of
// `npm run bench:fanout`). Here a socket's messages wait until its turn to be written comes (the
// sockets take turns in the order they got something, a slice of them per event-loop turn: see
// flush-queue.ts), are framed here, into one buffer, and go out in one write, so the busier the
// server, the more each write carries. And
// results of shared subscriptions are framed from payload bytes made once per result
// (deliverDirectly), not stringified and encoded per subscriber; until the write they wait as two
// references in one flat array per socket, no object of their own (see Pending).
//
// Backpressure is kept: a send resolves at once while the socket holds less than HIGH_WATER bytes
// not yet taken by the kernel, and otherwise only when they were. Until then graphql-ws pulls no
// next result of a subscription of its own, and a shared subscriber's results wait in its own
// bounded queue (shared-subscriptions.ts drops its oldest): never in an unbounded socket buffer.
import type { IncomingMessage } from "node:http";
import type { ExecutionResult } from "graphql";
import type { Socket } from "node:net";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../logging/logger.ts";
import { FlushQueue } from "./flush-queue.ts";
import type { Subscriber } from "./shared-subscriptions.ts";

export interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** writes a text message whose payload is `head` then `tail` on this socket, batched with
   *  graphql-ws's own messages (see deliverDirectly) */
  readonly sendFrame: (head: Buffer, tail: Buffer) => Promise<void> | void;
}

/** bytes a socket may hold unsent before a send waits for the kernel to take them */
const HIGH_WATER = 64 * 1024;

export function serveGraphqlWs(
  options: ServerOptions<Record<string, unknown> | undefined, Extra>,
  wss: WebSocketServer,
  deps: { logger: Logger; keepAliveMs?: number },
): { dispose(): Promise<void> } {
  // messages are framed here, next to the frames ws writes itself (pings, closes); that holds
  // only for uncompressed frames, which ws writes whole, at once
  if (wss.options.perMessageDeflate) throw new Error("serveGraphqlWs writes its own frames: the WebSocket server must not offer permessage-deflate");
  const keepAliveMs = deps.keepAliveMs ?? 12_000;
  const server = makeServer(options);
  const flushes = new FlushQueue((err) => deps.logger.error({ err }, "WebSocket flush failed"));
  wss.options.handleProtocols = handleProtocols;
  wss.once("error", (err) => {
    deps.logger.error({ err }, "WebSocket server error");
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, "Internal server error");
  });

  wss.on("connection", (socket, request) => {
    socket.once("error", (err) => {
      deps.logger.warn({ err }, "WebSocket error");
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    // a peer that stops answering pings is dropped (and its subscriptions ended)
    let pongWait: NodeJS.Timeout | null = null;
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once("pong", () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const writer = batchedWriter(socket, request.socket, flushes);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => writer.send(data),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on("message", async (data) => {
            try {
              await cb(String(data));
            } catch (err) {
              deps.logger.error({ err }, "WebSocket message handling failed");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            }
          }),
      },
      { socket, request, sendFrame: writer.sendFrame },
    );
    socket.once("close", (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pings);
      writer.release();
      void closed(code, String(reason));
    });
  });

  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, "Going away");
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** The messages waiting for a socket's next write, flat: a message is a string (one of
 *  graphql-ws's own), or two buffers in a row, the head and the tail of a text frame's payload
 *  (deliverDirectly's). Flat, and the one array reused, because at 1,000 subscribers a few
 *  objects per message were most of what the server allocated: the shared pump hands a burst of
 *  results to every subscriber before any write, so they lived long enough to be promoted, and
 *  the old generation grew by 150 MB under bench:fanout's load. Its slots are overwritten, not
 *  the array emptied: `length = 0` let go of its backing store, every socket grew a new one on
 *  each pass, and they too ended in the old generation (see flush-queue.ts for the figures). */
interface Pending {
  readonly items: (string | Buffer | undefined)[];
  /** items[0, count) wait */
  count: number;
  /** their payloads' bytes */
  bytes: number;
}

/** A socket's messages, queued until its turn in `flushes` comes, in one write; see the top of
 *  this file. */
function batchedWriter(socket: WebSocket, raw: Socket, flushes: FlushQueue) {
  const pending: Pending = { items: [], count: 0, bytes: 0 };
  let waiters: (() => void)[] = [];
  const turn = flushes.turn(() => {
    // one buffer and one write for what waited (the frames are copied out at once, so the
    // slots are free again right after)
    const frames = socket.readyState === socket.OPEN ? textFrames(pending) : null;
    pending.count = pending.bytes = 0;
    if (!waiters.length) return void (frames && raw.write(frames));
    const resume = waiters;
    waiters = [];
    const done = () => resume.forEach((r) => r());
    if (frames) raw.write(frames, done);
    else done();
  });
  const added = (bytes: number): Promise<void> | void => {
    pending.bytes += bytes;
    turn.add();
    // bytes the kernel has not taken yet are all in the socket's own buffer (ws's bufferedAmount
    // adds its sender's queue, empty without compression, and its getter was 4% of the server's
    // CPU at 1,000 subscribers: this is read for every message)
    if (raw.writableLength + pending.bytes < HIGH_WATER) return;
    return new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    send: (data: string) => {
      if (socket.readyState !== socket.OPEN) return;
      pending.items[pending.count++] = data;
      return added(Buffer.byteLength(data));
    },
    /** a text message whose payload is `head` then `tail` (shared buffers, not copied per socket) */
    sendFrame: (head: Buffer, tail: Buffer) => {
      if (socket.readyState !== socket.OPEN) return;
      pending.items[pending.count++] = head;
      pending.items[pending.count++] = tail;
      return added(head.length + tail.length);
    },
    /** the socket closed: nobody waits for writes that will not happen */
    release() {
      turn.delete();
      pending.items.length = pending.count = pending.bytes = 0;
      const resume = waiters;
      waiters = [];
      for (const r of resume) r();
    },
  };
}

/** Unmasked, final text frames (RFC 6455 5.2: a server's frames are never masked), one per
 *  message, in one buffer; the slots are cleared as they are read (a result is not kept alive
 *  by a socket that wrote it). */
function textFrames(pending: Pending): Buffer {
  const { items, count } = pending;
  // headers at most 10 bytes each: sized for the worst, the frames are a slice of it
  const out = Buffer.allocUnsafe(pending.bytes + 10 * count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i]!;
    items[i] = undefined;
    if (typeof item === "string") {
      at = writeHeader(out, at, Buffer.byteLength(item));
      at += out.write(item, at);
    } else {
      const tail = items[++i] as Buffer;
      items[i] = undefined;
      at = writeHeader(out, at, item.length + tail.length);
      at += item.copy(out, at);
      at += tail.copy(out, at);
    }
  }
  return out.subarray(0, at);
}

/** FIN, text, and the payload length in its shortest form; returns where the payload goes */
function writeHeader(out: Buffer, at: number, n: number): number {
  out[at] = 0x81;
  if (n < 126) {
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 65536) {
    out[at + 1] = 126;
    out.writeUInt16BE(n, at + 2);
    return at + 4;
  }
  out[at + 1] = 127;
  out.writeUInt32BE(Math.floor(n / 2 ** 32), at + 2);
  out.writeUInt32BE(n >>> 0, at + 6);
  return at + 10;
}

/** The part of a result's "next" message after its operation id, as bytes, made once per
 *  result: a shared result (one object for every subscriber, shared-subscriptions.ts) is neither
 *  stringified nor encoded a thousand times, and its bytes are written to every socket as they are. */
const nextTails = new WeakMap<ExecutionResult, Buffer>();

function nextTail(result: ExecutionResult): Buffer {
  let tail = nextTails.get(result);
  if (tail === undefined) {
    // graphql-ws's own "next" payload: the result, errors by their toJSON
    const { errors, ...rest } = result;
    const payload = errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest;
    tail = Buffer.from(`,"type":"next","payload":${JSON.stringify(payload)}}`);
    nextTails.set(result, tail);
  }
  return tail;
}

/**
 * Sends a shared subscriber's results to operation `id` on a socket directly, each as a
 * pre-serialised "next" message, instead of handing them to graphql-ws (which builds and
 * stringifies a message per subscriber: 20% of the server's CPU at 1,000 subscribers, and as much
 * again in garbage). What graphql-ws gets back yields nothing: it settles when the results end
 * (graphql-ws then sends "complete") or fail (it sends "error"), after every message was handed
 * to the same writer, so the order holds. Its return() (the client completed, or the socket
 * closed) stops delivery at once. Backpressure: while the writer holds too much, the subscriber's
 * results wait in its own bounded queue.
 */
export function deliverDirectly(subscriber: Subscriber, id: string, send: Extra["sendFrame"]): AsyncGenerator<ExecutionResult> {
  const head = Buffer.from(`{"id":${JSON.stringify(id)}`);
  const delivered = subscriber.deliver((value) => send(head, nextTail(value)));
  const stop = async (): Promise<IteratorResult<ExecutionResult>> => {
    subscriber.stop();
    return { value: undefined, done: true };
  };
  return {
    next: () => delivered.then(() => ({ value: undefined, done: true as const })),
    return: stop,
    throw: async (e: unknown) => {
      await stop();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
