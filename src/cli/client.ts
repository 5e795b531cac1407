// The command line's connection to a running jobgraph: typed operations (./gql, generated from
// schema.graphql) over HTTP with fetch, subscriptions over graphql-ws — the same public API and
// the same auth as any other client.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { TypedDocumentString } from "./gql/graphql.js";

/** What the API said went wrong (its extensions.code), or that it could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface GraphQLErrorJson {
  message: string;
  extensions?: { code?: string; field?: string };
}

function toApiError(errors: readonly GraphQLErrorJson[]): ApiError {
  const first = errors[0]!;
  return new ApiError(first.extensions?.code ?? "INTERNAL", first.message, first.extensions?.field);
}

export interface Connection {
  url: string;
  token?: string | undefined;
}

/** `http://host:4000` and `http://host:4000/graphql` both mean the endpoint */
export function endpoint(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ApiError("USAGE", `not a URL: "${url}" (set JOBGRAPH_URL or --url, e.g. http://127.0.0.1:4000/graphql)`);
  }
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/graphql";
  return u;
}

export class ApiClient {
  private readonly url: URL;
  private ws: Client | undefined;

  constructor(private readonly conn: Connection) {
    this.url = endpoint(conn.url);
  }

  async request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (this.conn.token) headers.authorization = `Bearer ${this.conn.token}`;
    let res: Response;
    try {
      res = await fetch(this.url, { method: "POST", headers, body: JSON.stringify({ query: document.toString(), variables }) });
    } catch (e) {
      throw new ApiError("UNREACHABLE", `cannot reach ${this.url.href}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    let body: { data?: R | null; errors?: GraphQLErrorJson[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new ApiError("HTTP_" + res.status, `${this.url.href} answered ${res.status} ${res.statusText}, not GraphQL`);
    }
    if (body.errors?.length) throw toApiError(body.errors);
    if (!body.data) throw new ApiError("INTERNAL", "the server sent no data");
    return body.data;
  }

  /** Calls `onData` for each event until the subscription completes (resolves) or fails (rejects);
   *  the returned `stop` ends it early. */
  subscribe<R, V>(document: TypedDocumentString<R, V>, variables: V, onData: (data: R) => void): { done: Promise<void>; stop: () => void } {
    const ws = this.socket();
    let stop = () => {};
    const done = new Promise<void>((resolve, reject) => {
      stop = ws.subscribe<R>(
        { query: document.toString(), variables: variables as Record<string, unknown> },
        {
          next: (msg) => (msg.errors?.length ? reject(toApiError(msg.errors as GraphQLErrorJson[])) : msg.data && onData(msg.data)),
          error: (e) => reject(e instanceof Error ? new ApiError("UNREACHABLE", e.message) : socketError(e)),
          complete: resolve,
        },
      );
    });
    return { done, stop: () => stop() };
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
  }

  private socket(): Client {
    if (!this.ws) {
      const url = new URL(this.url);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      const token = this.conn.token;
      this.ws = createClient({
        url: url.href,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      });
    }
    return this.ws;
  }
}

/** graphql-ws reports a closed socket as a CloseEvent, or a list of GraphQL errors */
function socketError(e: unknown): ApiError {
  if (Array.isArray(e)) return toApiError(e as GraphQLErrorJson[]);
  const close = e as { code?: number; reason?: string };
  // the server refuses a missing or invalid token at connect (graphql-ws closes with 4403)
  if (close?.code === 4401 || close?.code === 4403) return new ApiError("UNAUTHENTICATED", `the server refused the connection (${close.reason || "invalid or missing token"})`);
  return new ApiError("UNREACHABLE", `connection closed${close?.code ? ` (${close.code}${close.reason ? `: ${close.reason}` : ""})` : ""}`);
}
