// graphql-ws on a `ws` server — what graphql-ws/use/ws does (protocol check, keep-alive pings,
// close handling), with one difference: writes are batched per socket. use/ws writes every
// message with its own syscall and waits for it before the next one; at 1,000 subscribers × a few
// hundred events a second, those writes were 40% of the server's CPU (`writev` in a profile of
// `npm run bench:fanout`). Here a socket's messages of one event-loop turn go out in one write
// (cork … uncork), so the busier the server, the more each write carries. And results of shared
// subscriptions are written as frames whose payload bytes are made once per result and written to
// every socket as they are (deliverDirectly), not stringified, encoded and copied per subscriber.
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
import type { Subscriber } from "./shared-subscriptions.ts";

export interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** writes a text message made of these parts on this socket, batched with graphql-ws's own
   *  messages (see deliverDirectly) */
  readonly sendParts: (parts: Buffer[]) => Promise<void> | void;
}

/** bytes a socket may hold unsent before a send waits for the kernel to take them */
const HIGH_WATER = 64 * 1024;

export function serveGraphqlWs(
  options: ServerOptions<Record<string, unknown> | undefined, Extra>,
  wss: WebSocketServer,
  deps: { logger: Logger; keepAliveMs?: number },
): { dispose(): Promise<void> } {
  const keepAliveMs = deps.keepAliveMs ?? 12_000;
  const server = makeServer(options);
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
    const writer = batchedWriter(socket, request.socket);
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
      { socket, request, sendParts: writer.sendParts },
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

/** One message for a socket: a string (framed by ws) or the parts of a text frame's payload. */
type Outgoing = string | Buffer[];

/** The messages of one event-loop turn in one write; see the top of this file. */
function batchedWriter(socket: WebSocket, raw: Socket) {
  // frames written next to ws's own must be whole and in order: without compression (never
  // negotiated here: the server does not offer it) ws writes each frame at once, synchronously
  const framesOk = !socket.extensions.includes("permessage-deflate");
  let pending: Outgoing[] = [];
  let pendingBytes = 0;
  let waiters: (() => void)[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending;
    const resume = waiters;
    pending = [];
    pendingBytes = 0;
    waiters = [];
    const done = () => resume.forEach((r) => r());
    if (socket.readyState !== socket.OPEN) return done();
    raw.cork();
    try {
      for (let i = 0; i < batch.length; i++) {
        // the last message's callback says the whole batch was written (in order)
        const cb = i === batch.length - 1 && resume.length ? done : undefined;
        const item = batch[i]!;
        if (typeof item === "string") socket.send(item, cb);
        else writeTextFrame(raw, item, cb);
      }
    } finally {
      raw.uncork();
    }
  };
  const enqueue = (item: Outgoing, bytes: number): Promise<void> | void => {
    if (socket.readyState !== socket.OPEN) return;
    pending.push(item);
    pendingBytes += bytes;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    if (socket.bufferedAmount + pendingBytes < HIGH_WATER) return;
    return new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    send: (data: string) => enqueue(data, data.length),
    /** a text message made of these parts (shared ones, not copied per socket) */
    sendParts: (parts: Buffer[]) => {
      if (!framesOk) return enqueue(Buffer.concat(parts).toString(), parts.reduce((n, p) => n + p.length, 0));
      return enqueue(parts, parts.reduce((n, p) => n + p.length, 0));
    },
    /** the socket closed: nobody waits for writes that will not happen */
    release() {
      pending = [];
      pendingBytes = 0;
      const resume = waiters;
      waiters = [];
      for (const r of resume) r();
    },
  };
}

/** An unmasked, final text frame (RFC 6455 5.2: a server's frames are never masked). */
function writeTextFrame(raw: Socket, parts: Buffer[], cb?: () => void): void {
  let length = 0;
  for (const p of parts) length += p.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.allocUnsafe(2);
    header[1] = length;
  } else if (length < 65536) {
    header = Buffer.allocUnsafe(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.allocUnsafe(10);
    header[1] = 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  header[0] = 0x81; // FIN, text
  raw.write(header);
  for (let i = 0; i < parts.length; i++) raw.write(parts[i]!, i === parts.length - 1 ? cb : undefined);
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
export function deliverDirectly(subscriber: Subscriber, id: string, send: Extra["sendParts"]): AsyncGenerator<ExecutionResult> {
  const head = Buffer.from(`{"id":${JSON.stringify(id)}`);
  const delivered = subscriber.deliver((value) => send([head, nextTail(value)]));
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
