// Serves the dashboard (web/, a Vite + React app built into web/dist) at "/" and "/assets/…".
// The build normally happens at `npm install` (postinstall); when web/dist is missing or older
// than web/'s sources, the first request builds it (once per process), so `npm start` after a
// change to web/ still serves the current dashboard. Files are held in memory, gzipped once.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Logger } from "../logging/logger.ts";

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** newest modification time of a file under `dir` (recursively), 0 when missing */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  const s = statSync(dir);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(dir).map((f) => newest(path.join(dir, f))));
}

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = path.posix.join(sub, name);
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else {
        const body = readFileSync(path.join(dir, rel));
        assets.set(`/${rel}`, { type: TYPES[path.extname(name)] ?? "application/octet-stream", body, gzip: gzipSync(body), immutable: rel.startsWith("assets/") });
      }
    }
  };
  walk("");
  return assets;
}

export interface Dashboard {
  /** true when the request was the dashboard's (and has been answered) */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "web");

export function createDashboard(opts: { logger: Logger; webDir?: string }): Dashboard {
  const webDir = opts.webDir ?? WEB_DIR;
  const dist = path.join(webDir, "dist");
  let ready: Promise<Map<string, Asset>> | null = null;

  const stale = () => {
    if (!existsSync(path.join(dist, "index.html"))) return true;
    const built = statSync(path.join(dist, "index.html")).mtimeMs;
    const sources = Math.max(newest(path.join(webDir, "src")), newest(path.join(webDir, "index.html")), newest(path.join(webDir, "vite.config.ts")));
    return sources > built;
  };

  const build = async (): Promise<Map<string, Asset>> => {
    if (!stale()) return load(dist);
    opts.logger.info("building the dashboard (web/ changed since web/dist was built)");
    // build beside, load, then swap in: another process serving the old build never reads half a new one
    const out = `${dist}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    const vite = await import("vite");
    await vite.build({ configFile: path.join(webDir, "vite.config.ts"), root: webDir, logLevel: "warn", build: { outDir: out, emptyOutDir: true } });
    const assets = load(out);
    rmSync(dist, { recursive: true, force: true });
    try {
      renameSync(out, dist);
    } catch {
      rmSync(out, { recursive: true, force: true }); // another process swapped its build in first
    }
    return assets;
  };

  return {
    async handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      const url = (req.url ?? "/").split("?")[0]!;
      if (url !== "/" && url !== "/index.html" && !url.startsWith("/assets/")) return false;
      ready ??= build().catch((e) => {
        ready = null; // try again on the next request
        throw e;
      });
      let assets: Map<string, Asset>;
      try {
        assets = await ready;
      } catch (e) {
        opts.logger.error({ err: e }, "dashboard build failed");
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
        res.end(`The dashboard could not be built: ${(e as Error).message}\nRun \`npm run build:web\` to see why.\n`);
        return true;
      }
      const asset = assets.get(url === "/" ? "/index.html" : url);
      if (!asset) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
        return true;
      }
      const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      const body = gzip ? asset.gzip : asset.body;
      res.writeHead(200, {
        "content-type": asset.type,
        "content-length": body.length,
        "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        vary: "accept-encoding",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      });
      res.end(req.method === "HEAD" ? undefined : body);
      return true;
    },
  };
}
