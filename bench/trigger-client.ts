// The client side of bench:peers' latency phase, in a process of its own as a deployment's
// clients are: the server's event loop then does the server's work only (an in-process HTTP
// client cost about a millisecond of the same loop per trigger). It sends `warmup + triggers`
// triggers `gapMs` apart and reports when it sent each counted one:
//  - jobgraph: the GraphQL triggerTask mutation over HTTP; replies [execution id, sent at] pairs;
//  - graphile-worker: addJob, the time in the job's payload (its task function, in the parent,
//    measures); replies nothing but that it is done.
// Started by bench/peers.ts with fork(); one order per process.
import { Logger, makeWorkerUtils } from "graphile-worker";

export type Order =
  | { peer: "jobgraph"; url: string; token: string; task: string; warmup: number; triggers: number; gapMs: number }
  | { peer: "graphile"; connectionString: string; warmup: number; triggers: number; gapMs: number };
export type Reply = { sent: [id: number, at: number][] };

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function jobgraph(order: Extract<Order, { peer: "jobgraph" }>): Promise<Reply> {
  const sent: [number, number][] = [];
  const inFlight: Promise<void>[] = [];
  const body = (id: string) => JSON.stringify({ query: `mutation($id: ID!) { triggerTask(id: $id) { id } }`, variables: { id } });
  for (let i = 0; i < order.warmup + order.triggers; i++) {
    const at = Date.now();
    const counted = i >= order.warmup;
    inFlight.push(
      fetch(order.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${order.token}` }, body: body(order.task) })
        .then((res) => res.json() as Promise<{ data?: { triggerTask: { id: string } }; errors?: unknown }>)
        .then((r) => {
          if (r.errors || !r.data) throw new Error(JSON.stringify(r.errors));
          if (counted) sent.push([Number(Buffer.from(r.data.triggerTask.id, "base64").toString().split(":")[1]), at]);
        }),
    );
    await pause(order.gapMs);
  }
  await Promise.all(inFlight);
  return { sent };
}

async function graphile(order: Extract<Order, { peer: "graphile" }>): Promise<Reply> {
  const utils = await makeWorkerUtils({ connectionString: order.connectionString, logger: new Logger(() => () => {}) });
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < order.warmup + order.triggers; i++) {
      inFlight.push(utils.addJob("lat", { sent: Date.now(), warmup: i < order.warmup }));
      await pause(order.gapMs);
    }
    await Promise.all(inFlight);
  } finally {
    await utils.release();
  }
  return { sent: [] };
}

process.once("message", async (order: Order) => {
  try {
    process.send!(await (order.peer === "jobgraph" ? jobgraph(order) : graphile(order)));
    process.exit(0);
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
});
