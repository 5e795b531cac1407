// Maps every error leaving the API to API.md's codes. Domain errors (AppError) and GraphQL errors
// that already carry a code pass through; the request's own faults (syntax, schema validation,
// variables that do not coerce) are VALIDATION / BAD_USER_INPUT; an unreachable database is a
// retryable UNAVAILABLE; anything else is masked as INTERNAL and logged with a correlation id the
// client can quote.
import { randomUUID } from "node:crypto";
import { PothosValidationError } from "@pothos/core";
import { GraphQLError, type GraphQLErrorExtensions } from "graphql";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../logging/logger.ts";

const KNOWN_CODES = new Set([
  "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "VALIDATION", "CONFLICT", "UNAVAILABLE", "BAD_USER_INPUT",
  "PERSISTED_QUERY_NOT_FOUND", "BAD_REQUEST", "REQUEST_ENTITY_TOO_LARGE",
]);
/** yoga's names for "the document does not parse / does not validate": API.md calls both VALIDATION */
const DOCUMENT_CODES = new Set(["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"]);

/** The errors `error` wraps, outermost first (GraphQL errors wrap through `originalError`). */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = error; e != null && !out.includes(e); e = e instanceof GraphQLError ? e.originalError : undefined) out.push(e);
  return out;
}

/** yoga puts the JSON parser's message (which quotes the body) into extensions.originalError:
 *  drop it. It was also what made yoga answer 400 rather than the spec's 200 for JSON responses,
 *  so the status stays as it was (spec: false). */
function clientExtensions(extensions: GraphQLErrorExtensions, code: string): GraphQLErrorExtensions {
  const { originalError, ...rest } = extensions as GraphQLErrorExtensions & { originalError?: unknown; http?: Record<string, unknown> };
  if (originalError !== undefined && rest.http) rest.http = { ...rest.http, spec: false };
  return { ...rest, code };
}

export function createErrorMasker(logger: Logger) {
  return (error: unknown): GraphQLError => {
    const outer = error instanceof GraphQLError ? error : null;
    const at = outer ? { nodes: outer.nodes, path: outer.path, source: outer.source, positions: outer.positions } : {};
    const causes = chain(error);
    const root = causes.at(-1);
    if (root instanceof AppError) {
      return new GraphQLError(root.message, { ...at, extensions: { code: root.code, ...(root.field ? { field: root.field } : {}) } });
    }
    // Pothos rejecting the client's arguments (a negative `first`, a malformed cursor or id)
    if (root instanceof PothosValidationError) {
      return new GraphQLError(root.message, { ...at, extensions: { code: "VALIDATION" } });
    }
    if (isDatabaseUnavailable(root)) {
      logger.warn({ err: root, path: outer?.path }, "database unavailable");
      return new GraphQLError("the database is unavailable; retry later", { ...at, extensions: { code: "UNAVAILABLE", retryable: true } });
    }
    const coded = causes.find((e): e is GraphQLError => e instanceof GraphQLError && typeof e.extensions?.code === "string");
    const code = coded ? String(coded.extensions.code) : undefined;
    if (coded && code && KNOWN_CODES.has(code)) return new GraphQLError(coded.message, { ...at, extensions: clientExtensions(coded.extensions, code) });
    if (coded && code && DOCUMENT_CODES.has(code)) return new GraphQLError(coded.message, { ...at, extensions: clientExtensions(coded.extensions, "VALIDATION") });
    // Errors made by graphql-js itself, before any resolver ran (no path): the document did not
    // validate (no original error), or a variable did not coerce to its type — graphql-js wraps
    // the scalar's or input type's complaint, itself a GraphQLError. Both are the client's fault.
    const coercion = outer?.message.startsWith('Variable "$') ?? false;
    if (outer && !outer.path && (coercion || causes.every((e) => e instanceof GraphQLError))) {
      const extensions = clientExtensions(outer.extensions ?? {}, coercion ? "BAD_USER_INPUT" : "VALIDATION");
      return new GraphQLError(outer.message, { ...at, extensions });
    }
    const correlationId = randomUUID();
    logger.error({ err: root, correlationId, path: outer?.path }, "unexpected error");
    return new GraphQLError(`internal error (correlation id ${correlationId})`, { ...at, extensions: { code: "INTERNAL", correlationId } });
  };
}
