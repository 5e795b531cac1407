// Bounds for the JSON users store (task config, run params, run results) and the one walk over
// untrusted values that finds NUL characters. Everything here is iterative: a value nested
// 100,000 deep (well inside a 1 MB body) must be refused, not overflow the stack on the way.
import type { JsonLimits } from "../config.ts";
import { validation } from "../errors.ts";

export type { JsonLimits };

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 256 * 1024, maxDepth: 64 };

/** No JSON deeper than this crosses the API in either direction (the JSON scalar refuses it):
 *  JSON.stringify, zod and Prisma recurse, and a few thousand levels overflow the stack. The
 *  configurable storage depth (JOBGRAPH_MAX_JSON_DEPTH) is at most this. */
export const JSON_DEPTH_CEILING = 1000;

/** The nesting depth of a value: 0 for a scalar, 1 for `{}` or `[1]`, … — stops counting (and
 *  returns) as soon as `stopAbove` is exceeded, so a huge value costs no more than the limit. */
export function jsonDepth(value: unknown, stopAbove = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const inner = depth + 1;
    if (inner > max) max = inner;
    if (max > stopAbove) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, inner]);
    }
  }
  return max;
}

/** The path (e.g. ["steps", 0, "id"]) of the first string or object key holding U+0000, or
 *  null. PostgreSQL refuses NUL in text and in jsonb, so it is refused at the edge instead. */
export function findNul(value: unknown): (string | number)[] | null {
  // paths as linked cells (shared prefixes), turned into an array only for the one found
  type Cell = { key: string | number; up: Cell | null } | null;
  const toPath = (cell: Cell) => {
    const path: (string | number)[] = [];
    for (let c = cell; c; c = c.up) path.unshift(c.key);
    return path;
  };
  const stack: [unknown, Cell][] = [[value, null]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\0")) return toPath(at);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], { key: i, up: at }]);
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes("\0")) return toPath({ key: k, up: at });
        stack.push([child, { key: k, up: at }]);
      }
    }
  }
  return null;
}

export const joinPath = (field: string, path: (string | number)[]) => [field, ...path].join(".");

/**
 * Refuses (VALIDATION naming `field`) a JSON value deeper than `limits.maxDepth`, larger than
 * `limits.maxBytes` serialized, or holding a NUL character. Returns the value for chaining.
 * Used for task config, triggerTask params and a run's result alike.
 */
export function checkJson<T>(value: T, field: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): T {
  if (value === undefined || value === null) return value;
  // depth first: JSON.stringify of a deep value is itself recursive
  if (jsonDepth(value, limits.maxDepth) > limits.maxDepth) {
    throw validation(field, `${field} is nested deeper than ${limits.maxDepth} levels`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
  if (bytes > limits.maxBytes) {
    throw validation(field, `${field} is ${bytes} bytes as JSON; at most ${limits.maxBytes} are allowed`);
  }
  const nul = findNul(value);
  if (nul) throw validation(joinPath(field, nul), `${joinPath(field, nul)} contains a NUL character (\\u0000)`);
  return value;
}
