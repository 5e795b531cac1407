// What one request may ask of an instance. graphql-armor refuses documents that are too deep,
// too wide (aliases), too long (tokens), too costly or carry too many directives before anything
// executes; a NUL guard refuses U+0000 anywhere in the input. Both are envelop plugins, so HTTP
// (yoga) and WebSocket (graphql-ws through yoga.getEnveloped) apply exactly the same rules.
// The body size cap is yoga's own `maxRequestBodySize`; the page-size cap is in connections.ts;
// stored JSON sizes are in validation/json-limits.ts.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { GraphQLError, Kind, type ASTNode, type ValidationContext, type ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Limits } from "../config.ts";
import { exemptFromRowBudget } from "../graphql/row-budget.ts";
import { findNul, joinPath } from "../validation/json-limits.ts";

const refused = (message: string, field?: string) =>
  new GraphQLError(message, { extensions: { code: "VALIDATION", ...(field ? { field } : {}) } });

/** armor reports through the validation context, typed, instead of throwing an untyped error */
const report = {
  propagateOnRejection: false,
  onReject: [(ctx: ValidationContext | null, error: GraphQLError) => ctx?.reportError(refused(error.message.replace(/^Syntax Error: /, "")))],
};

export function requestLimitPlugins(limits: Limits): Plugin[] {
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: limits.maxDepth, ...report },
      maxAliases: { n: limits.maxAliases, ...report },
      costLimit: { maxCost: limits.maxCost, ...report },
      maxDirectives: { n: limits.maxDirectives, ...report },
      // counted while parsing, before there is a validation context: it throws, and the error
      // masker types the parse failure as VALIDATION
      maxTokens: { n: limits.maxTokens },
      // the schema is public (introspection is on): suggestions give nothing away
      blockFieldSuggestion: { enabled: false },
    }) as Plugin,
    useNulGuard(),
    useValidationCode(),
    useNoRowBudgetForSubscriptions(),
  ];
}

/** The events of a subscription are all resolved with one context, so a total over them would
 *  end a long subscription: the row budget (graphql/row-budget.ts) is for queries and mutations. */
function useNoRowBudgetForSubscriptions(): Plugin {
  return {
    onSubscribe: ({ args }) => exemptFromRowBudget(args.contextValue),
  };
}

/** A document the schema refuses is VALIDATION (API.md), not yoga's GRAPHQL_VALIDATION_FAILED:
 *  the same code for a bad literal as for the variable-free checks above. */
function useValidationCode(): Plugin {
  return {
    onValidate: () => ({ valid, result }) => {
      if (valid) return;
      for (const error of result) {
        const extensions = error.extensions as Record<string, unknown>;
        if (!extensions.code || extensions.code === "GRAPHQL_VALIDATION_FAILED") extensions.code = "VALIDATION";
      }
    },
  };
}

/** "input.config" for a literal at `createTask(input: { config: … })` */
function literalPath(ancestors: readonly (ASTNode | readonly ASTNode[])[]): string | undefined {
  const names: string[] = [];
  for (const a of ancestors) {
    if (!("kind" in a)) continue;
    if (a.kind === Kind.FIELD) names.length = 0; // only the innermost field's arguments count
    else if (a.kind === Kind.ARGUMENT || a.kind === Kind.OBJECT_FIELD) names.push(a.name.value);
  }
  return names.length ? names.join(".") : undefined;
}

const nulLiterals: ValidationRule = (context) => ({
  StringValue(node, _key, parent, _path, ancestors) {
    if (!node.value.includes("\0")) return;
    const field = literalPath(parent ? [...ancestors, parent] : ancestors);
    context.reportError(
      new GraphQLError(`${field ?? "a string"} contains a NUL character (\\u0000)`, { nodes: node, extensions: { code: "VALIDATION", ...(field ? { field } : {}) } }),
    );
  },
});

function nulInVariables(variables: unknown): GraphQLError | null {
  const path = findNul(variables ?? {});
  if (!path) return null;
  const field = path.join(".");
  return refused(`variable $${joinPath(String(path[0]), path.slice(1))} contains a NUL character (\\u0000)`, field);
}

/** PostgreSQL refuses U+0000 in text and jsonb: refused for every argument, literal or variable,
 *  before anything runs (one mechanism instead of a check per field). */
function useNulGuard(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(nulLiterals);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const error = nulInVariables(args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = nulInVariables(args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
