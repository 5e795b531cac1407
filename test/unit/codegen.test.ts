// The typed operations committed under each codegen.ts target (src/cli/gql/ …) are what
// graphql-codegen makes from the committed schema.graphql and the clients' documents today.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "@graphql-codegen/cli";
import { expect, test } from "vitest";
import config from "../../codegen.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

test("generated GraphQL operations are up to date", async () => {
  const outputs = await generate({ ...config, cwd: ROOT, silent: true }, false);
  expect(outputs.length).toBeGreaterThan(0);
  for (const { filename, content } of outputs) {
    const committed = readFileSync(path.resolve(ROOT, filename), "utf8");
    expect(committed, `${filename} is stale: run \`npm run codegen\` and commit the result`).toBe(content);
  }
}, 60_000);
