// Maps every error leaving the API to API.md's codes. Domain errors (AppError) and GraphQL errors
// that already carry a code pass through; anything else is masked as INTERNAL and logged with a
// correlation id the client can quote.
import { randomUUID } from "node:crypto";
import { PothosValidationError } from "@pothos/core";
import { GraphQLError } from "graphql";
import { AppError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";

const KNOWN_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "VALIDATION", "CONFLICT", "GRAPHQL_VALIDATION", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT", "PERSISTED_QUERY_NOT_FOUND"]);

export function createErrorMasker(logger: Logger) {
  return (error: unknown): Error => {
    const graphqlError = error instanceof GraphQLError ? error : null;
    const original = graphqlError?.originalError ?? error;
    const at = graphqlError ? { nodes: graphqlError.nodes, path: graphqlError.path, source: graphqlError.source, positions: graphqlError.positions } : {};
    if (original instanceof AppError) {
      return new GraphQLError(original.message, {
        ...at,
        extensions: { code: original.code, ...(original.field ? { field: original.field } : {}) },
      });
    }
    // Pothos rejecting the client's arguments (a negative `first`, a malformed cursor or id)
    if (original instanceof PothosValidationError) {
      return new GraphQLError(original.message, { ...at, extensions: { code: "VALIDATION" } });
    }
    if (original instanceof GraphQLError && KNOWN_CODES.has(String(original.extensions?.code))) {
      return graphqlError && graphqlError !== original ? new GraphQLError(original.message, { ...at, extensions: original.extensions }) : original;
    }
    // GraphQL's own validation/coercion errors carry no original error: they are the client's
    if (graphqlError && !graphqlError.originalError) {
      return graphqlError.extensions?.code ? graphqlError : new GraphQLError(graphqlError.message, { ...at, extensions: { code: "VALIDATION" } });
    }
    const correlationId = randomUUID();
    logger.error({ err: original, correlationId, path: graphqlError?.path }, "unexpected error");
    return new GraphQLError(`internal error (correlation id ${correlationId})`, { ...at, extensions: { code: "INTERNAL", correlationId } });
  };
}
