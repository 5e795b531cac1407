// The whole schema: each concept's file registers its types and operations on the builder.
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { builder } from "./builder.ts";
import "./types/enums.ts";
import "./types/viewer.ts";
import "./types/task.ts";
import "./types/execution.ts";
import "./types/scheduler.ts";
import "./types/audit.ts";
import "./types/calendar.ts";
import "./types/alert.ts";
import "./types/operations.ts";
import "./types/task-fires.ts";
import "./types/stats-series.ts";
import "./types/live.ts";

let schema: GraphQLSchema | undefined;

export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** what `npm run schema:print` writes to schema.graphql (and the staleness test compares) */
export function printedSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema())) + "\n";
}
