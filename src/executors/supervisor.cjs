// The supervisor of one COMMAND run: a tiny Node process between the jobgraph instance and the
// command, so the command's process group dies with the instance even when the instance is
// killed with SIGKILL (Linux's prctl(PR_SET_PDEATHSIG) is not reachable from Node).
//
// The instance starts it with a socket on fd 3, the lifeline, carrying newline-delimited JSON:
//   instance → supervisor: {"spec":{command,args,cwd,env,shell,killGraceMs}} first, then
//                          {"terminate":true} on cancel or timeout
//   supervisor → instance: {"started":pid} | {"spawnError":{code,message}} |
//                          {"signalled":"SIGTERM"|"SIGKILL"} | {"exit":{code,signal}}
// The command gets the supervisor's stdout and stderr (the instance's pipes, no copying) and
// runs as the leader of its own process group. When the lifeline ends (the instance exited or
// was killed: the kernel closes its end) or {"terminate"} arrives, the group gets SIGTERM, and
// SIGKILL after the grace period. When the command exits, whatever it left in its group gets
// SIGKILL. Plain CommonJS without dependencies: it starts in a few tens of milliseconds.
"use strict";
const net = require("node:net");
const { spawn } = require("node:child_process");

const lifeline = new net.Socket({ fd: 3, readable: true, writable: true });
let spec = null;
let child = null;
let exited = false;
let terminating = false;
let done = false;
let graceTimer = null;
let buffered = "";

function send(message) {
  if (!lifeline.destroyed && lifeline.writable) lifeline.write(`${JSON.stringify(message)}\n`);
}

function killGroup(signal) {
  if (!child || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function terminate() {
  if (terminating || done) return;
  terminating = true;
  if (!child) return process.exit(0); // nothing started yet: nothing to stop
  killGroup("SIGTERM");
  send({ signalled: "SIGTERM" });
  graceTimer = setTimeout(() => {
    if (exited) return;
    killGroup("SIGKILL");
    send({ signalled: "SIGKILL" });
  }, spec.killGraceMs);
}

function start() {
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      shell: spec.shell,
      detached: true, // own process group (and session), so the whole tree is signalled at once
      stdio: ["ignore", "inherit", "inherit"],
    });
  } catch (err) {
    // synchronous spawn errors: invalid arguments (NUL bytes), EACCES on some platforms
    send({ spawnError: { code: err.code ?? null, message: err.message } });
    return finish();
  }
  child.once("error", (err) => {
    if (child.pid !== undefined) return; // an error after start changes nothing: 'exit' follows
    send({ spawnError: { code: err.code ?? null, message: err.message } });
    finish();
  });
  child.once("spawn", () => send({ started: child.pid }));
  child.once("exit", (code, signal) => {
    exited = true;
    clearTimeout(graceTimer);
    // grandchildren (background jobs, daemons that did not setsid) die with the run
    killGroup("SIGKILL");
    send({ exit: { code, signal } });
    finish();
  });
}

function finish() {
  done = true;
  // the last message must reach the instance before this process is gone
  lifeline.end(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}

lifeline.setEncoding("utf8");
lifeline.on("data", (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf("\n")) !== -1) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    if (message.spec && !spec) {
      spec = message.spec;
      start();
    } else if (message.terminate) {
      terminate();
    }
  }
});
// the instance is gone (exit, crash, SIGKILL): nothing it started may outlive it
lifeline.on("end", terminate);
lifeline.on("close", terminate);
lifeline.on("error", terminate);
// a signal aimed at the supervisor stops the run the same way instead of orphaning the command
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, terminate);
