// The event bridge's receiver: an instance hears its own NOTIFYs too (its LISTEN is a connection
// like any other) and drops them unparsed; every other instance's messages are handled.
import { expect, test } from "vitest";
import { createBridgeReceiver } from "../../src/events/bridge.ts";
import { createLogger } from "../../src/logging/logger.ts";

test("own payloads are dropped by their first bytes, others' are handled, however alike the origins", async () => {
  const woken: string[] = [];
  const receive = createBridgeReceiver({
    // a "work" message reads nothing and publishes nothing: only the handler is called
    prisma: {} as never,
    events: {} as never,
    origin: "host:1:abc",
    logger: createLogger("silent"),
    handlers: { work: () => woken.push("work"), taskChanged: () => {}, schedulerChanged: () => {} },
  });
  const payload = (origin: string) => `{"o":${JSON.stringify(origin)},"m":[{"t":"work"},{"t":"work"}]}`;
  await receive(payload("host:1:abc"));
  expect(woken).toEqual([]);
  await receive(payload("host:1:abcd")); // an origin our own is a prefix of
  await receive(payload("host:2:abc"));
  expect(woken).toHaveLength(4);
  await receive("not json");
  await receive(`{"o":"host:2:abc","m":"not a list"}`);
  expect(woken).toHaveLength(4);
});
