import type { Client } from "graphql-ws";
import type { GqlResult } from "./app.ts";

/** One operation that ends by itself over WebSocket (a query, a mutation, a refused subscription):
 *  its last result, or the errors of an `error` message. A close of the socket rejects. */
export function wsResult(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  return new Promise((resolve, reject) => {
    let last: GqlResult | undefined;
    client.subscribe({ query, variables }, {
      next: (v) => (last = v as GqlResult),
      error: (e) => (Array.isArray(e) ? resolve({ errors: e }) : reject(e)),
      complete: () => resolve(last ?? {}),
    });
  });
}
