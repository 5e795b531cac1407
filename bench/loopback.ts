// npm run bench:loopback — what one write to a loopback TCP socket costs this machine, with no
// jobgraph code at all: a bare server writes LOOPBACK_BYTES-byte buffers to LOOPBACK_SOCKETS
// sockets, LOOPBACK_ROUNDS rounds at LOOPBACK_HZ, read by two child processes that only count the
// bytes (sleeping between reads, or with LOOPBACK_SPIN=1 never sleeping, to tell whether the
// readers' wake-ups are the cost). It is the floor under bench:fanout's server CPU: on loopback
// the receiving side's TCP processing runs in the sender's system call.
import { fork } from "node:child_process";
import net from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";

const SOCKETS = Number(process.env.LOOPBACK_SOCKETS ?? 1000);
const ROUNDS = Number(process.env.LOOPBACK_ROUNDS ?? 300);
const BYTES = Number(process.env.LOOPBACK_BYTES ?? 250);
const HZ = Number(process.env.LOOPBACK_HZ ?? 60);
const READERS = 2;

type ReaderReport = { bytes: number; cpu: NodeJS.CpuUsage };

if (process.argv[2] === "reader") reader();
else await writer();

function reader() {
  let bytes = 0;
  process.on("message", ({ port, count }: { port: number; count: number }) => {
    for (let i = 0; i < count; i++) net.connect(port, "127.0.0.1").on("data", (d) => void (bytes += d.length));
  });
  setInterval(() => process.send!({ bytes, cpu: process.cpuUsage() } satisfies ReaderReport), 100);
  if (process.env.LOOPBACK_SPIN) {
    const spin = () => void setImmediate(spin);
    spin();
  }
}

async function writer() {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => void sockets.push(s.setNoDelay(true))).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as net.AddressInfo;
  const readers = Array.from({ length: READERS }, () => fork(fileURLToPath(import.meta.url), ["reader"]));
  const latest = new Map<(typeof readers)[number], ReaderReport>();
  for (const r of readers) r.on("message", (m: ReaderReport) => latest.set(r, m));
  readers.forEach((r, i) => r.send({ port, count: Math.floor(SOCKETS / READERS) + (i < SOCKETS % READERS ? 1 : 0) }));
  const until = async (ok: () => boolean) => {
    while (!ok()) await new Promise((r) => setTimeout(r, 20));
  };
  await until(() => sockets.length === SOCKETS && latest.size === READERS);
  const readersCpu0 = readers.map((r) => latest.get(r)!.cpu);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const payload = Buffer.alloc(BYTES, 97);
  for (let round = 0; round < ROUNDS; round++) {
    const due = t0 + (round * 1000) / HZ;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    for (const s of sockets) s.write(Buffer.from(payload));
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = Date.now() - t0;
  await until(() => readers.reduce((n, r) => n + latest.get(r)!.bytes, 0) >= SOCKETS * ROUNDS * BYTES);
  const readersMs = readers.map((r, i) => {
    const c = latest.get(r)!.cpu;
    return (c.user - readersCpu0[i]!.user + c.system - readersCpu0[i]!.system) / 1000;
  });
  const writes = SOCKETS * ROUNDS;
  console.log(`bench:loopback — ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`${writes} writes of ${BYTES} B to ${SOCKETS} sockets in ${wallMs} ms; readers ${process.env.LOOPBACK_SPIN ? "spinning" : "sleeping between reads"}`);
  console.log(`writer CPU: user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms = ${((cpu.user + cpu.system) / writes).toFixed(2)} µs a write`);
  console.log(`reader CPU: ${readersMs.map((ms) => ms.toFixed(0)).join(", ")} ms (until the last byte arrived)`);
  for (const r of readers) r.kill();
  server.close();
  for (const s of sockets) s.destroy();
}
