// A real HTTP webhook receiver on 127.0.0.1 for alert tests: records every request, answers
// with whatever `respond` says (200 by default), and verifies jobgraph's signature the way the
// README tells receivers to.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** the status this receiver answered */
  status: number;
}

export interface Receiver {
  url: string;
  requests: Received[];
  /** the requests answered 2xx, one per X-Jobgraph-Delivery (what a deduplicating receiver keeps) */
  accepted(): Received[];
  /** decides each answer (default 200) */
  respond: (req: Omit<Received, "status">, n: number) => number;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const requests: Received[] = [];
  const receiver: Receiver = {
    url: "",
    requests,
    accepted() {
      const seen = new Map<string, Received>();
      for (const r of requests) if (r.status < 300 && !seen.has(String(r.headers["x-jobgraph-delivery"]))) seen.set(String(r.headers["x-jobgraph-delivery"]), r);
      return [...seen.values()];
    },
    respond: () => 200,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const seen = { path: req.url ?? "/", headers: req.headers, body, json };
      const status = receiver.respond(seen, requests.length);
      requests.push({ ...seen, status });
      res.writeHead(status, { "content-type": "application/json" }).end(status < 300 ? '{"ok":true}' : '{"error":"down"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** What a receiver does with X-Jobgraph-Signature: recompute HMAC-SHA256("<timestamp>.<body>"). */
export function verifySignature(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const timestamp = String(headers["x-jobgraph-timestamp"] ?? "");
  const given = String(headers["x-jobgraph-signature"] ?? "");
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
