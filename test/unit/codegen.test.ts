// The dashboard's typed operations (web/src/gql/, committed) are what graphql-codegen makes from
// the committed schema.graphql and the operations in web/src today: a stale file fails here.
// Fix: `npm run codegen` (after `npm run schema:print` when the schema changed).
import { readFileSync } from "node:fs";
import path from "node:path";
import { generate } from "@graphql-codegen/cli";
import type { Types } from "@graphql-codegen/plugin-helpers";
import { expect, test } from "vitest";
import config from "../../codegen.ts";
import { ROOT } from "../../src/app.ts";

test("generated client types are up to date with schema.graphql and the operations", async () => {
  const outputs: Types.FileOutput[] = await generate({ ...config, cwd: ROOT, silent: true, errorsOnly: true }, false);
  const dashboard = outputs.filter((o) => path.resolve(ROOT, o.filename).startsWith(path.join(ROOT, "web", "src", "gql")));
  expect(dashboard.length).toBeGreaterThanOrEqual(3);
  for (const o of dashboard) {
    const committed = readFileSync(path.resolve(ROOT, o.filename), "utf8");
    expect(committed, `${o.filename} is stale: run npm run codegen`).toBe(o.content);
  }
}, 60_000);
