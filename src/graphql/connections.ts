// Named, shared Relay connection types (TaskConnection, ExecutionConnection, …) as API.md names
// them, instead of one generated type per field. Each carries `totalCount`; the Prisma plugin
// hands the connection either the number or a function that loads it.
import type { ObjectRef } from "@pothos/core";
import { builder } from "./builder.ts";

export function sharedConnection<T>(name: string, node: ObjectRef<any, T>) {
  return builder.connectionObject({
    type: node,
    name,
    fields: (t) => ({
      totalCount: t.int({
        description: "How many items the connection has in all (with its filters), not only this page",
        resolve: async (connection) => {
          const { totalCount } = connection as { totalCount?: number | (() => number | Promise<number>) };
          return typeof totalCount === "function" ? totalCount() : (totalCount ?? 0);
        },
      }),
    }),
  });
}
