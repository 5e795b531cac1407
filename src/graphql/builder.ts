// The schema builder: plugins and scalars only. Types, queries, mutations and subscriptions live
// in types/<concept>.ts; schema.ts imports them all.
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError } from "graphql";
import { hasRole } from "../auth/roles.ts";
import { isIsoDate } from "../calendars/days.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { auditDenied } from "./audited.ts";
import type { Context } from "./context.ts";
import { validation } from "../errors.ts";
import { namesANode } from "./ids.ts";
import { spendRows } from "./row-budget.ts";
import { JSON_DEPTH_CEILING, jsonDepth } from "../validation/json-limits.ts";

const DEFAULT_PAGE_SIZE = 20;

/**
 * Every Prisma connection's page, checked as it is resolved (once per parent row): at most
 * JOBGRAPH_MAX_PAGE_SIZE rows — asking for more is the client's mistake, said as such (VALIDATION
 * naming the argument) rather than silently clamped — and at most JOBGRAPH_MAX_ROWS for all the
 * connections of the request together, which bounds nested pages sized by variables (the
 * cost limit only sees literal `first`/`last`).
 */
function maxPageSize(args: { first?: number | null; last?: number | null }, ctx: Context): number {
  const { maxPageSize: max, maxRows } = ctx.limits;
  for (const arg of ["first", "last"] as const) {
    const n = args[arg];
    if (n != null && n > max) throw validation(arg, `${arg} must be at most ${max} (got ${n})`);
  }
  spendRows(ctx, args.first ?? args.last ?? DEFAULT_PAGE_SIZE, maxRows);
  return max;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string | number };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      viewer: hasRole(ctx.viewer, "viewer"),
      operator: hasRole(ctx.viewer, "operator"),
      admin: hasRole(ctx.viewer, "admin"),
    }),
    unauthorizedError: (_parent, ctx, info) => {
      const error = ctx.viewer
        ? new GraphQLError(`role "${ctx.viewer.role}" may not do this`, { extensions: { code: "FORBIDDEN" } })
        : new GraphQLError("authentication required: send Authorization: Bearer <token>", { extensions: { code: "UNAUTHENTICATED" } });
      if (info.parentType.name === "Mutation") auditDenied(ctx, info.fieldName, error.message);
      return error;
    },
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
    // Pothos types this builder-wide default as a number, but it reaches the same code as each
    // connection's own `maxSize`, which is typed (and works) as a function of (args, ctx)
    maxConnectionSize: maxPageSize as unknown as number,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // every query needs a token, node(id) too
    nodeQueryOptions: {
      authScopes: { viewer: true },
      resolve: (_root, { id }, _ctx, info, resolveNode) => (namesANode(id, info.schema) ? resolveNode(id) : null),
    },
    nodesQueryOptions: false,
  },
});

builder.scalarType("DateTime", {
  description: "ISO-8601 date and time with offset, e.g. 2026-11-22T18:30:00.000Z",
  serialize: (d) => (d instanceof Date ? d : new Date(d as string)).toISOString(),
  parseValue: (v) => {
    const d = typeof v === "string" ? new Date(v) : null;
    if (!d || Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(v as string)) {
      throw new GraphQLError(`not an ISO-8601 date-time: ${JSON.stringify(v)}`, { extensions: { code: "VALIDATION" } });
    }
    return d;
  },
});

builder.scalarType("Date", {
  description: "A calendar date, ISO YYYY-MM-DD",
  serialize: (d) => String(d),
  parseValue: (v) => {
    if (typeof v !== "string" || !isIsoDate(v)) throw new GraphQLError(`not a date YYYY-MM-DD: ${JSON.stringify(v)}`, { extensions: { code: "VALIDATION" } });
    return v;
  },
});
/** The JSON scalar passes values through, but none deeper than JSON_DEPTH_CEILING: an input that
 *  deep is refused before a resolver (or zod, or Prisma) recurses into it; an output that deep
 *  (stored before any limit) is a logged field error, not a response JSON.stringify overflows. */
const ceiling = (v: unknown, what: string, extensions?: { code: string }) => {
  if (jsonDepth(v, JSON_DEPTH_CEILING) > JSON_DEPTH_CEILING) {
    throw new GraphQLError(`${what} is nested deeper than ${JSON_DEPTH_CEILING} levels`, { extensions });
  }
  return v;
};

builder.scalarType("JSON", {
  description: "Any JSON value",
  serialize: (v) => ceiling(v, "a JSON value to send"),
  parseValue: (v) => ceiling(v, "JSON", { code: "VALIDATION" }),
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
