// graphql-codegen: typed operations for the clients of the public API, from the committed
// schema.graphql (`npm run codegen`; a test fails when the committed output is stale).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    // the `jobgraph` command line: documents are plain strings sent over fetch and graphql-ws
    "src/cli/gql/": {
      documents: ["src/cli/**/*.ts", "!src/cli/gql/**"],
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: "string",
        useTypeImports: true,
        enumsAsTypes: true,
        emitLegacyCommonJSImports: false,
        scalars: { DateTime: "string", Date: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
