// graphql-codegen: typed operations for the clients of the public API (the dashboard and the
// command line), from the committed schema.graphql. `npm run codegen` rewrites them;
// test/unit/codegen.test.ts fails when the committed output is stale.
import type { CodegenConfig } from "@graphql-codegen/cli";

const clientConfig = {
  scalars: { DateTime: "string", JSON: "unknown", Date: "string" },
  enumsAsTypes: true,
  useTypeImports: true,
};

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    // the dashboard
    "web/src/gql/": {
      preset: "client",
      documents: ["web/src/**/*.{ts,tsx}", "!web/src/gql/**"],
      presetConfig: { fragmentMasking: false },
      config: clientConfig,
    },
    // the `jobgraph` command line: documents are plain strings sent over fetch and graphql-ws
    "src/cli/gql/": {
      preset: "client",
      documents: ["src/cli/**/*.ts", "!src/cli/gql/**"],
      presetConfig: { fragmentMasking: false },
      config: { ...clientConfig, documentMode: "string", emitLegacyCommonJSImports: false },
    },
  },
};

export default config;
