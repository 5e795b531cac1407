// graphql-codegen: typed operations from the committed schema.graphql for the public API's own
// clients. `npm run codegen` rewrites them; test/codegen.test.ts fails when they are stale.
import type { CodegenConfig } from "@graphql-codegen/cli";

const clientConfig = {
  scalars: { DateTime: "string", JSON: "unknown", Date: "string" },
  enumsAsTypes: true,
  useTypeImports: true,
};

const config: CodegenConfig = {
  schema: "schema.graphql",
  generates: {
    // the dashboard
    "web/src/gql/": {
      preset: "client",
      documents: ["web/src/**/*.{ts,tsx}", "!web/src/gql/**"],
      presetConfig: { fragmentMasking: false },
      config: clientConfig,
    },
  },
};

export default config;
