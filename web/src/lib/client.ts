// One urql client per signed-in token: queries and mutations over HTTP, subscriptions over one
// graphql-ws socket. The socket retries forever (a restarted server is picked up without a
// reload); graphql-ws re-subscribes every active subscription on reconnect, and each of ours
// sends its current state first, so a page is whole again as soon as the socket is back.
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { bearer } from "./session";

export type ConnectionState = "connecting" | "live" | "reconnecting";

export interface DashboardClient {
  urql: Client;
  ws: WsClient;
  dispose(): void;
}

export interface ClientEvents {
  /** the server refused the token (HTTP 401 / UNAUTHENTICATED, or the socket closed with 4403) */
  onUnauthenticated(message: string): void;
  onConnection(state: ConnectionState, epoch: number): void;
}

export function createDashboardClient(token: string, events: ClientEvents): DashboardClient {
  const authorization = bearer(token);
  const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  let epoch = 0;
  // the first refusal is the one to tell (HTTP and the socket may both refuse the same token)
  let refused = false;
  const refuse = (message: string) => {
    if (refused) return;
    refused = true;
    events.onUnauthenticated(message);
  };
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { authorization },
    // opens with the first subscription, after the sign-in query has checked the token
    lazy: true,
    lazyCloseTimeout: 5000,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    // 1 s, 2 s, 4 s … capped at 5 s, with a little jitter
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(5000, 1000 * 2 ** retries) + Math.random() * 300)),
    on: {
      connecting: () => events.onConnection(epoch === 0 ? "connecting" : "reconnecting", epoch),
      connected: () => events.onConnection("live", ++epoch),
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        if (code === 4403) refuse("the server refused this token (invalid or expired token)");
        else if (epoch > 0) events.onConnection("reconnecting", epoch);
      },
    },
  });
  const urql = new Client({
    url: "/graphql",
    fetchOptions: () => ({ headers: { authorization } }),
    requestPolicy: "cache-and-network",
    exchanges: [
      mapExchange({
        onError(error) {
          const refusal = error.graphQLErrors.find((e) => e.extensions?.code === "UNAUTHENTICATED");
          if (refusal) refuse(refusal.message);
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
  return { urql, ws, dispose: () => void ws.dispose() };
}
