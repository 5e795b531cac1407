// `token`: mint a JWT locally with this installation's secret (JOBGRAPH_JWT_SECRET or the data
// folder's generated one), so it needs no running server. One definition for both entry points,
// `npm run token` (src/main.ts) and `jobgraph token` (src/cli/program.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../config.ts";
import { ROLES, type Role } from "./roles.ts";
import { DEFAULT_TOKEN_LIFETIME, createTokenService, parseTokenLifetime, resolveSecret } from "./tokens.ts";

export function tokenCommand(out: (line: string) => void): Command {
  return new Command("token")
    .description("print a signed token (JWT) for the API, made with JOBGRAPH_JWT_SECRET or the data folder's generated secret; needs no server")
    .addOption(new Option("--role <role>", "what the token may do").choices(ROLES).makeOptionMandatory())
    .addOption(
      new Option("--sub <subject>", "who the token is for (recorded in audit events)").default("cli").argParser((text) => {
        // the API refuses a token without a subject: refuse to mint one
        if (!text.trim()) throw new InvalidArgumentError("the subject must not be empty");
        return text;
      }),
    )
    .addOption(
      new Option("--expires <duration>", "lifetime: a number with s, m, h, d or w (12h, 7d), or never")
        .default(DEFAULT_TOKEN_LIFETIME)
        .argParser((text) => {
          try {
            return parseTokenLifetime(text);
          } catch (e) {
            throw new InvalidArgumentError((e as Error).message);
          }
        }),
    )
    .action(async (opts: { role: Role; sub: string; expires: string | null }) => {
      const config = loadConfig();
      const { secret } = resolveSecret(config.jwtSecret, config.dataDir);
      out(await createTokenService(secret).mint({ sub: opts.sub, role: opts.role }, opts.expires ?? undefined));
    });
}
