// HS256 JWTs: `sub` says who, `role` says what they may do. Verification failures all become
// one UNAUTHENTICATED error; the reason is logged, not told to the caller.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SignJWT, jwtVerify } from "jose";
import { unauthenticated } from "../errors.ts";
import { isRole, type Role, type Viewer } from "./roles.ts";

export interface TokenService {
  verify(token: string): Promise<Viewer>;
  /** reads `Bearer <token>`; null when the header is absent */
  fromAuthorization(header: string | null | undefined): Promise<Viewer | null>;
  mint(claims: Viewer, expiresIn?: string): Promise<string>;
}

export function createTokenService(secret: string): TokenService {
  const key = new TextEncoder().encode(secret);
  const verify = async (token: string): Promise<Viewer> => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ["HS256"] }));
    } catch {
      throw unauthenticated("invalid or expired token");
    }
    if (typeof payload.sub !== "string" || !payload.sub || !isRole(payload.role)) {
      throw unauthenticated("token must carry a sub and a role of viewer, operator or admin");
    }
    return { sub: payload.sub, role: payload.role as Role };
  };
  return {
    verify,
    async fromAuthorization(header) {
      if (!header) return null;
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      if (!match) throw unauthenticated("Authorization must be 'Bearer <token>'");
      return verify(match[1]!);
    },
    async mint({ sub, role }, expiresIn) {
      const jwt = new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt();
      if (expiresIn) jwt.setExpirationTime(expiresIn);
      return jwt.sign(key);
    },
  };
}

/** `npm run token` and `jobgraph token`: a token signed with this installation's secret (the
 *  configured one, or the one in the data folder), so it needs no running server. */
export async function mintLocalToken(
  config: { jwtSecret?: string | undefined; dataDir: string },
  claims: { sub: string; role: string },
  expiresIn?: string,
): Promise<string> {
  if (!isRole(claims.role)) throw new Error("--role must be viewer, operator or admin");
  const { secret } = resolveSecret(config.jwtSecret, config.dataDir);
  return createTokenService(secret).mint({ sub: claims.sub, role: claims.role }, expiresIn);
}

/** The configured secret, or one generated once into the data folder (first-run convenience). */
export function resolveSecret(configured: string | undefined, dataDir: string): { secret: string; generated: boolean } {
  if (configured) return { secret: configured, generated: false };
  const file = path.join(dataDir, "jwt-secret");
  if (existsSync(file)) return { secret: readFileSync(file, "utf8").trim(), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  return { secret, generated: true };
}
