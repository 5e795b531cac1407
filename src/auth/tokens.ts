// HS256 JWTs: `sub` says who, `role` says what they may do. Verification failures all become
// one UNAUTHENTICATED error; the reason is logged, not told to the caller.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SignJWT, jwtVerify } from "jose";
import { unauthenticated } from "../errors.ts";
import { isRole, type Role, type Viewer } from "./roles.ts";

/** What `npm run token` and the start-up admin token get unless told otherwise. */
export const DEFAULT_TOKEN_LIFETIME = "30d";

/** A token lifetime as the CLI takes it: a whole number with s, m, h, d or w ("12h", "7d"), or
 *  "never" (null: no expiry). The result is what `mint` takes; anything else throws. */
export function parseTokenLifetime(text: string): string | null {
  const value = text.trim().toLowerCase();
  if (value === "never") return null;
  const m = /^([1-9]\d{0,6})\s*(s|m|h|d|w)$/.exec(value);
  if (!m) throw new Error(`"${text}" is not a lifetime: use a number with s, m, h, d or w (12h, 7d, 30d) or never`);
  return `${m[1]}${m[2]}`;
}

export interface TokenService {
  verify(token: string): Promise<Viewer>;
  /** reads `Bearer <token>`; null when the header is absent */
  fromAuthorization(header: string | null | undefined): Promise<Viewer | null>;
  mint(claims: Viewer, expiresIn?: string): Promise<string>;
}

/** tokens whose signature was checked, kept so that a client sending the same token with every
 *  request (every script, every dashboard) is not verified again each time */
const VERIFIED_MAX = 1000;

export function createTokenService(secret: string): TokenService {
  const key = new TextEncoder().encode(secret);
  // token → who, and until when (ms; Infinity without exp). Only a token that passed jwtVerify
  // is here; its expiry is still checked on every use. Oldest entries go first when full.
  const verified = new Map<string, { viewer: Viewer; until: number }>();
  const verify = async (token: string): Promise<Viewer> => {
    const known = verified.get(token);
    if (known) {
      if (Date.now() < known.until) return known.viewer;
      verified.delete(token);
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ["HS256"] }));
    } catch {
      throw unauthenticated("invalid or expired token");
    }
    if (typeof payload.sub !== "string" || !payload.sub || !isRole(payload.role)) {
      throw unauthenticated("token must carry a sub and a role of viewer, operator or admin");
    }
    const viewer = { sub: payload.sub, role: payload.role as Role };
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, { viewer, until: typeof payload.exp === "number" ? payload.exp * 1000 : Infinity });
    return viewer;
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
