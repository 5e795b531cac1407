// The checker every stored JSON goes through (task config, run params, and a run's result when
// the runner applies it): iterative, so no value is too deep to be refused.
import { expect, test } from "vitest";
import { AppError } from "../../src/errors.ts";
import { checkJson, findNul, jsonDepth } from "../../src/validation/json-limits.ts";

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return { code: (e as AppError).code, field: (e as AppError).field, message: (e as AppError).message };
  }
  throw new Error("not refused");
};

test("a value nested 200,000 deep is refused by depth, without a stack overflow", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = i % 2 ? [deep] : { a: deep };
  expect(jsonDepth(deep, 64)).toBe(65); // stops counting past the limit
  expect(refusal(() => checkJson(deep, "result"))).toMatchObject({ code: "VALIDATION", field: "result", message: "result is nested deeper than 64 levels" });
  expect(findNul(deep)).toBeNull();
});

test("size, depth and NUL limits; values within them pass unchanged", () => {
  const ok = { list: [1, "two", { three: null }], nested: { a: { b: true } } };
  expect(checkJson(ok, "result")).toBe(ok);
  expect(checkJson(null, "result")).toBeNull();
  expect(jsonDepth(ok)).toBe(3);
  expect(refusal(() => checkJson({ s: "x".repeat(300) }, "params", { maxBytes: 256, maxDepth: 64 }))).toMatchObject({ field: "params", message: expect.stringMatching(/at most 256/) });
  expect(refusal(() => checkJson([[[1]]], "params", { maxBytes: 1000, maxDepth: 2 }))).toMatchObject({ field: "params" });
  expect(refusal(() => checkJson({ rows: [{ ok: 1 }, { name: "a\u0000" }] }, "result"))).toMatchObject({ field: "result.rows.1.name", message: expect.stringMatching(/NUL/) });
  expect(refusal(() => checkJson({ ["k\u0000"]: 1 }, "result"))).toMatchObject({ field: "result.k\u0000" });
  // multi-byte characters count as bytes
  expect(refusal(() => checkJson("é".repeat(200), "result", { maxBytes: 300, maxDepth: 5 })).message).toMatch(/402 bytes/);
});
