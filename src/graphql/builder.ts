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
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // every query needs a token, node(id) too
    nodeQueryOptions: { authScopes: { viewer: true } },
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

builder.scalarType("JSON", {
  description: "Any JSON value",
  serialize: (v) => v,
  parseValue: (v) => v,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
