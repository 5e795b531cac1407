// HTTP executor: one request; the status decides success, the (JSON) body becomes the result.
import { describeReason, ExecutionFailure, formatIssues, type ExecutionContext, type Executor } from "./types.ts";

// the same schema that validated the config when the task was saved
export { httpConfig as httpConfigSchema, type HttpConfig } from "../tasks/config-schemas.ts";
import { httpConfig as httpConfigSchema } from "../tasks/config-schemas.ts";

const MAX_BODY_BYTES = 10 * 1024 * 1024; // read at most this much of a response
const TEXT_RESULT_CHARS = 10_000;
const ERROR_BODY_CHARS = 500;

export function createHttpExecutor(): Executor {
  return async function runHttp(ctx: ExecutionContext) {
    const parsed = httpConfigSchema.safeParse(ctx.config);
    if (!parsed.success) {
      throw new ExecutionFailure(`invalid HTTP config: ${formatIssues(parsed.error)}`);
    }
    const config = parsed.data;
    const method = (config.method ?? "POST").toUpperCase();
    const [minStatus, maxStatus] = config.expectStatus ?? [200, 299];
    const headers = new Headers(config.headers);

    let body: string | undefined;
    if (config.body !== undefined) {
      if (typeof config.body === "string") {
        body = config.body;
      } else {
        body = JSON.stringify(config.body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
    } else if (method !== "GET" && method !== "HEAD") {
      body = JSON.stringify(ctx.params ?? {});
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }

    const shownUrl = redactUrl(config.url);
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(config.url, { method, headers, body, signal: ctx.signal, redirect: "follow" });
      text = await readCapped(response, MAX_BODY_BYTES);
    } catch (err) {
      if (ctx.signal.aborted) throw new ExecutionFailure(`aborted: ${describeReason(ctx.signal.reason)}`);
      throw new ExecutionFailure(`${method} ${shownUrl} failed: ${describeFetchError(err)}`);
    }
    ctx.log("system", `${method} ${shownUrl} → ${response.status} (${Date.now() - started} ms)`);

    const contentType = response.headers.get("content-type") ?? "";
    let result: unknown = { status: response.status, body: truncate(text, TEXT_RESULT_CHARS) };
    if (/[/+]json\b/i.test(contentType) && text.length > 0) {
      try {
        result = JSON.parse(text);
      } catch {
        // a server that mislabels its body: keep the text result
      }
    }

    if (response.status < minStatus || response.status > maxStatus) {
      throw new ExecutionFailure(`HTTP ${response.status}: ${truncate(text, ERROR_BODY_CHARS)}`, result);
    }
    return { result };
  };
}

/** Reads the body as text, stopping (and cancelling the stream) past `limit` bytes. */
async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > limit) {
      text += decoder.decode(value.subarray(0, value.byteLength - (bytes - limit)));
      await reader.cancel().catch(() => {});
      return text;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Credentials in a URL must not end up in execution logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = "***";
      u.password = "";
    }
    return u.toString();
  } catch {
    return url;
  }
}

/** undici says "fetch failed" and hides the useful part (ECONNREFUSED, DNS…) in `cause`. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${err.message}: ${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ""}`;
  }
  return err.message;
}
