// HTTP (graphql-yoga, GraphiQL on GET) and WebSocket subscriptions (graphql-ws) on one port and
// path, sharing one context factory, one set of plugins and one error masking. Plus the plain
// endpoints operators and orchestrators poll: /health, /ready, /metrics.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Viewer } from "../auth/roles.ts";
import type { TokenService } from "../auth/tokens.ts";
import { AppError } from "../errors.ts";
import type { Context, Services } from "../graphql/context.ts";
import { createErrorMasker } from "../graphql/errors.ts";
import { getSchema } from "../graphql/schema.ts";
import { StartupError } from "../startup-error.ts";
import { requestLimitPlugins } from "./limits.ts";
import { closeAtTokenExpiry } from "./ws-session.ts";
import { createSharedSubscriptions, type SharedSubscriptions } from "./shared-subscriptions.ts";
import { deliverDirectly, serveGraphqlWs } from "./ws-transport.ts";
import { createDashboard } from "./dashboard.ts";

export interface PlainEndpoints {
  /** database reachable and engine started */
  ready(): Promise<boolean>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

export interface HttpServer {
  url: string;
  wsUrl: string;
  server: Server;
  /** identical WebSocket subscriptions share one stream (shared-subscriptions.ts) */
  sharedSubscriptions: SharedSubscriptions["stats"];
  close(): Promise<void>;
}

export async function startHttpServer(opts: {
  host: string;
  port: number;
  services: Services;
  tokens: TokenService;
  endpoints: PlainEndpoints;
}): Promise<HttpServer> {
  const { services, tokens, endpoints } = opts;
  const maskError = createErrorMasker(services.logger);

  const viewerFrom = async (authorization: string | null | undefined): Promise<Viewer | null> => {
    try {
      return await tokens.fromAuthorization(authorization);
    } catch (e) {
      const message = e instanceof AppError ? e.message : "invalid token";
      throw new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
    }
  };

  const yoga = createYoga<{ req?: IncomingMessage; connectionParams?: Record<string, unknown> }, Context>({
    schema: getSchema(),
    // GraphiQL from the installed package (no CDN: works offline). Subscriptions go over SSE, so
    // the headers tab's Authorization reaches them as a plain HTTP header.
    graphiql: { title: "jobgraph", subscriptionsProtocol: "SSE", defaultHeaders: JSON.stringify({ Authorization: "Bearer <the token npm start printed>" }) },
    // imported on the first GraphiQL request, not at start: the package is a 9 MB module whose
    // parsed strings and code cost the process ~80 MB of RSS (most services never serve it)
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    logging: false,
    maskedErrors: { maskError: (error) => maskError(error) },
    plugins: requestLimitPlugins(services.limits),
    maxRequestBodySize: services.limits.maxBodyBytes,
    context: async ({ request, connectionParams }) => {
      // HTTP sends a header; WebSocket sends connectionParams (already checked at connect)
      const fromWs = connectionParams?.authorization ?? connectionParams?.Authorization;
      const authorization = typeof fromWs === "string" ? fromWs : request?.headers.get("authorization");
      return { ...services, viewer: await viewerFrom(authorization) };
    },
  });

  const dashboard = createDashboard({ logger: services.logger });
  const server = createServer(async (req, res) => {
    try {
      if (await dashboard.handle(req, res)) return;
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/health") return send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
      if (req.method === "GET" && path === "/ready") {
        const ok = await endpoints.ready().catch(() => false);
        return send(res, ok ? 200 : 503, "application/json", JSON.stringify({ status: ok ? "ready" : "not ready" }));
      }
      if (req.method === "GET" && path === "/metrics") {
        const m = await endpoints.metrics();
        return send(res, 200, m.contentType, m.body);
      }
      return yoga(req, res);
    } catch (e) {
      services.logger.error({ err: e }, "request failed");
      if (!res.headersSent) send(res, 500, "application/json", JSON.stringify({ error: "internal error" }));
    }
  });

  // listen before the WebSocket server attaches: a busy port is one StartupError, not also an
  // "internal error" graphql-ws prints when the server it is attached to fails
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(listenError(e, opts.host, opts.port)));
    server.listen(opts.port, opts.host, () => resolve());
  });
  // a WebSocket message is a request body too: same cap (ws closes the socket with 1009 above it)
  const shared = createSharedSubscriptions({ schema: getSchema() });
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: services.limits.maxBodyBytes });
  const ws = serveGraphqlWs(
    {
      // a missing or invalid token closes the socket at connect (4403 Forbidden)
      onConnect: async (ctx) => {
        const auth = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        if (typeof auth !== "string") return false;
        try {
          await tokens.fromAuthorization(auth);
        } catch {
          return false;
        }
        closeAtTokenExpiry(ctx, auth);
        return true;
      },
      execute: (args: any) => args.rootValue.execute(args),
      // identical operations of the same role share one source and one execution per event,
      // whose serialised result is written to each subscriber's socket directly
      subscribe: async (args: any) => {
        const { subscribe, shareKey, operation } = args.rootValue;
        if (!shareKey) return subscribe(args);
        const stream = await shared.subscribe(shareKey, () => subscribe(args));
        return "deliver" in stream ? deliverDirectly(stream, operation.id, operation.send) : stream;
      },
      onSubscribe: async (ctx, id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams,
        });
        // a bad document, a limit or an expired token is an error message on this operation,
        // typed like on HTTP — not a thrown error, which graphql-ws turns into close 4500
        try {
          const document = parse(params.query);
          const errors = validate(schema, document);
          if (errors.length) return errors.map(maskError);
          // each operation still gets its own context: the token is verified again for each
          const contextValue = await contextFactory();
          const shareKey = shared.keyOf(schema, document, params, contextValue.viewer?.role ?? null);
          return {
            schema,
            operationName: params.operationName,
            document,
            variableValues: params.variables,
            contextValue,
            rootValue: { execute, subscribe, shareKey, operation: { id, send: ctx.extra.sendFrame } },
          };
        } catch (e) {
          return [maskError(e)];
        }
      },
    },
    wss,
    { logger: services.logger },
  );

  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}${yoga.graphqlEndpoint}`,
    wsUrl: `ws://${host}:${port}${yoga.graphqlEndpoint}`,
    server,
    sharedSubscriptions: () => shared.stats(),
    async close() {
      await ws.dispose();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The reasons an operator can fix, as one line saying what to change. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (err.code) {
    case "EADDRINUSE":
      return new StartupError(`port ${port} on ${host} is already in use: stop what listens there or set PORT to another port`, { cause: err });
    case "EACCES":
      return new StartupError(`no permission to listen on ${host}:${port} (ports below 1024 need privileges): set PORT`, { cause: err });
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new StartupError(`cannot listen on ${host}: not an address of this machine; set HOST`, { cause: err });
    default:
      return err;
  }
}

function send(res: import("node:http").ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}
