// A GraphQL subscription over server-sent events, the way GraphiQL runs one: a POST with
// `Accept: text/event-stream` and the headers from its headers tab.
export interface SseSubscription<T = any> {
  /** each `next` payload ({ data, errors }) in order */
  events: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] }[];
  status: Promise<number>;
  /** resolves when the server ends the stream */
  done: Promise<void>;
  stop(): Promise<void>;
}

export function sseSubscribe<T = any>(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}): SseSubscription<T> {
  const abort = new AbortController();
  const events: SseSubscription<T>["events"] = [];
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const done = (async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    resolveStatus(res.status);
    if (!res.headers.get("content-type")?.includes("text/event-stream")) {
      events.push((await res.json()) as SseSubscription<T>["events"][number]);
      return;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (message.includes("event: complete")) return;
        if (data) events.push(JSON.parse(data));
      }
    }
  })().catch((e) => {
    resolveStatus(0);
    if (!abort.signal.aborted) throw e;
  });
  return {
    events,
    status,
    done,
    async stop() {
      abort.abort();
      await done;
    },
  };
}
