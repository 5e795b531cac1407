// One execution, live: status, progress, params, result, error, the attempts before it, the
// log tail (follows new lines; resumes after a reconnect from the last line seen), cancel and
// mark-failed; for a workflow, its DAG with every step's live status.
import { useEffect, useMemo, useRef, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import { Card, ErrorNote, Json, Progress, Status, isActive, isFinal } from "../components/ui";
import { Dag, type DagStep, type StepState } from "../components/Dag";
import { dateTime, duration, eta } from "../lib/format";
import { useActiveExecutions, useRefetchOnReconnect } from "../lib/live";
import { href } from "../lib/router";
import { useNow } from "../lib/throttle";
import { useSession } from "../session";

const ExecutionQuery = graphql(`
  query ExecutionPage($id: ID!) {
    execution(id: $id) {
      id status trigger manual attempt scheduledAt startedAt finishedAt durationMs params result error
      progress progressMessage currentItem processedItems totalItems cancelRequested triggeredBy stepId workerId runAfter
      task { id name kind config }
      parent { id task { name } }
      retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id attempt status retryOf { id } } } } }
      retriedBy { id attempt status }
      children(first: 100) { edges { node { id stepId status progress attempt } } }
    }
  }
`);

const ExecutionFeed = graphql(`
  subscription ExecutionFeed($id: ID!) {
    executionUpdated(id: $id) {
      id status progress progressMessage currentItem processedItems totalItems
      startedAt finishedAt durationMs result error cancelRequested
    }
  }
`);

const LogFeed = graphql(`
  subscription LogFeed($id: ID!, $afterSeq: Int) {
    executionLogLines(id: $id, afterSeq: $afterSeq) { seq at stream text }
  }
`);

const Cancel = graphql(`mutation CancelExecution($id: ID!) { cancelExecution(id: $id) { id status cancelRequested } }`);
const MarkFailed = graphql(`mutation MarkExecutionFailed($id: ID!, $reason: String) { markExecutionFailed(id: $id, reason: $reason) { id status error } }`);

export function ExecutionPage({ id }: { id: string }) {
  const session = useSession();
  const [result, refetch] = useQuery({ query: ExecutionQuery, variables: { id } });
  const [live] = useSubscription({ query: ExecutionFeed, variables: { id } });
  const base = result.data?.execution;
  const now = useNow(1000);
  const update = live.data?.executionUpdated;
  const e = base ? { ...base, ...(update ?? {}) } : null;
  const finalSeen = !!update && !isActive(update.status);
  useEffect(() => {
    if (finalSeen) refetch({ requestPolicy: "network-only" });
  }, [finalSeen, refetch]);
  useRefetchOnReconnect(() => refetch({ requestPolicy: "network-only" }));

  if (result.error) return <ErrorNote error={result.error} />;
  if (!result.data) return <p className="muted">Loading…</p>;
  if (!e) return <p className="error">No such execution (it may have been pruned).</p>;
  // the query reads four attempts back; an older one is linked as "earlier…" (its page goes on)
  type Attempt = { id: string; attempt?: number; status?: string; retryOf?: unknown };
  const attempts: Attempt[] = [];
  for (let r = e.retryOf as Attempt | null | undefined; r; r = r.retryOf as Attempt | null | undefined) attempts.unshift(r);
  const active = isActive(e.status);
  return (
    <div className="grid">
      <Card
        title={`${e.task.name}${e.stepId ? ` · step ${e.stepId}` : ""} — run, attempt ${e.attempt}`}
        actions={active ? <ExecutionActions id={e.id} canCancel={session.canOperate} canMarkFailed={session.canAdmin} cancelRequested={e.cancelRequested} /> : null}
      >
        <div className="exec-head">
          <span data-testid="exec-status"><Status status={e.status} /></span>
          <div className="exec-progress" data-testid="exec-progress"><Progress value={e.progress} status={e.status} /></div>
        </div>
        <dl className="facts">
          <dt>Task</dt><dd><a href={href.task(e.task.name)}>{e.task.name}</a> ({e.task.kind})</dd>
          {e.parent ? <><dt>Workflow</dt><dd><a href={href.execution(e.parent.id)}>{e.parent.task.name} run</a></dd></> : null}
          <dt>Trigger</dt><dd>{e.trigger}{e.triggeredBy ? ` by ${e.triggeredBy}` : ""}</dd>
          <dt>Message</dt><dd data-testid="exec-message">{e.progressMessage ?? <span className="muted">–</span>}</dd>
          <dt>Current item</dt><dd>{e.currentItem ?? <span className="muted">–</span>}{e.totalItems ? <span className="muted"> ({e.processedItems ?? 0} of {e.totalItems})</span> : null}</dd>
          <dt>Scheduled</dt><dd>{dateTime(e.scheduledAt)}</dd>
          <dt>Started</dt><dd>{dateTime(e.startedAt)}</dd>
          <dt>{e.finishedAt ? "Finished" : "Elapsed / ETA"}</dt>
          <dd>{e.finishedAt ? `${dateTime(e.finishedAt)} (${duration(e.durationMs)})` : e.startedAt ? `${duration(now - new Date(e.startedAt).getTime())} / ${eta(e.startedAt, e.progress, now)}` : "not started"}</dd>
          {e.cancelRequested && active ? <><dt>Cancel</dt><dd>requested, stopping…</dd></> : null}
          <dt>Attempts</dt>
          <dd data-testid="attempts">
            {/* oldest first: #1 → #2 → this one */}
            {attempts.map((a) => (
              <span key={a.id}>
                {a.attempt === undefined ? <a href={href.execution(a.id)}>earlier…</a> : <a href={href.execution(a.id)} data-attempt={a.attempt}>#{a.attempt} <Status status={a.status} /></a>} →{" "}
              </span>
            ))}
            <strong>#{e.attempt}</strong>
            {/* and the attempt that retried this one, once there is one */}
            {e.retriedBy ? <> → <a href={href.execution(e.retriedBy.id)} data-next-attempt={e.retriedBy.attempt}>#{e.retriedBy.attempt} <Status status={e.retriedBy.status} /></a></> : null}
          </dd>
        </dl>
        {e.error ? <><h3>Error</h3><pre className="json error-text" data-testid="exec-error">{e.error}</pre></> : null}
      </Card>
      {e.task.kind === "WORKFLOW" ? <WorkflowSteps executionId={e.id} config={e.task.config} childRuns={base!.children.edges.map((c) => c.node)} /> : null}
      <Card title="Params"><Json value={e.params} /></Card>
      <Card title="Result"><Json value={e.result} /></Card>
      <LogTail id={e.id} />
    </div>
  );
}

function ExecutionActions({ id, canCancel, canMarkFailed, cancelRequested }: { id: string; canCancel: boolean; canMarkFailed: boolean; cancelRequested: boolean }) {
  const [cancel, doCancel] = useMutation(Cancel);
  const [mark, doMark] = useMutation(MarkFailed);
  const [reason, setReason] = useState("");
  const [asking, setAsking] = useState(false);
  if (!canCancel && !canMarkFailed) return null;
  return (
    <span className="switches">
      {canCancel ? <button onClick={() => doCancel({ id })} disabled={cancel.fetching || cancelRequested}>{cancelRequested ? "Cancelling…" : "Cancel"}</button> : null}
      {canMarkFailed && !asking ? <button onClick={() => setAsking(true)}>Mark failed…</button> : null}
      {canMarkFailed && asking ? (
        <span>
          <input placeholder="reason" value={reason} onChange={(ev) => setReason(ev.target.value)} aria-label="reason" />
          <button className="danger" onClick={() => doMark({ id, reason: reason || null })} disabled={mark.fetching}>Mark failed</button>
        </span>
      ) : null}
      <ErrorNote error={cancel.error ?? mark.error} />
    </span>
  );
}

function WorkflowSteps({ executionId, config, childRuns }: { executionId: string; config: unknown; childRuns: { id: string; stepId?: string | null; status: string; progress?: number | null; attempt: number }[] }) {
  const steps = ((config as { steps?: DagStep[] })?.steps ?? []).map((s) => ({ ...s, dependsOn: s.dependsOn ?? [] }));
  // the query's children, then the steps that ended since, then the live state of the active ones
  const ended = useRef(new Map<string, StepState>());
  const [, bump] = useState(0);
  const active = useActiveExecutions({
    onFinished: (runs) => {
      for (const r of runs) if (r.parent?.id === executionId && r.stepId) ended.current.set(r.stepId, { executionId: r.id, status: r.status, progress: r.progress });
      bump((v) => v + 1);
    },
  });
  const merged = new Map<string, StepState>();
  for (const c of childRuns) if (c.stepId) merged.set(c.stepId, { executionId: c.id, status: c.status, progress: c.progress });
  for (const [step, state] of ended.current) merged.set(step, state);
  for (const a of active.items.values()) {
    if (a.parent?.id !== executionId || !a.stepId) continue;
    // a fresher read may already know this very run ended (its batch is on its way)
    const known = merged.get(a.stepId);
    if (known?.executionId === a.id && isFinal(known.status)) continue;
    merged.set(a.stepId, { executionId: a.id, status: a.status, progress: a.progress });
  }
  return (
    <Card title="Workflow steps">
      <div className="dag-box"><Dag steps={steps} states={merged} /></div>
    </Card>
  );
}

interface Line { seq: number; at: string; stream: string; text: string }

/** The lines seen of the last few executions, kept while their page is not drawn: the page draws
 *  a note instead of itself while it reloads or shows an error (a server restart), and coming
 *  back it resumes after the last line seen instead of starting the log again, empty. */
const SEEN_LOGS = new Map<string, Line[]>();
const SEEN_LOGS_KEPT = 20;
function seenLines(id: string): Line[] {
  let lines = SEEN_LOGS.get(id);
  if (!lines) {
    SEEN_LOGS.set(id, (lines = []));
    if (SEEN_LOGS.size > SEEN_LOGS_KEPT) SEEN_LOGS.delete(SEEN_LOGS.keys().next().value!);
  }
  return lines;
}

function LogTail({ id }: { id: string }) {
  const { epoch, connection } = useSession();
  const lines = useMemo(() => ({ current: seenLines(id) }), [id]);
  const [, setVersion] = useState(0);
  const frame = useRef<number | null>(null);
  const box = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  // After a reconnect, subscribe again from the last line seen: the server sends only what came
  // after it. The subscription is dropped while the socket is down, because graphql-ws would
  // otherwise repeat the first subscribe (afterSeq of the first visit) on the new socket and the
  // server would send the whole log again; the check on seq below stays as a safety net.
  const afterSeq = useMemo(() => lines.current.at(-1)?.seq ?? 0, [epoch, id]); // eslint-disable-line react-hooks/exhaustive-deps
  useSubscription({ query: LogFeed, variables: { id, afterSeq }, pause: connection !== "live" }, (_prev, data) => {
    const line = data.executionLogLines;
    const last = lines.current.at(-1)?.seq ?? 0;
    if (line.seq > last) {
      lines.current.push(line);
      if (lines.current.length > 5000) lines.current.splice(0, lines.current.length - 5000);
      frame.current ??= requestAnimationFrame(() => {
        frame.current = null;
        setVersion((v) => v + 1);
      });
    }
    return data;
  });
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  });
  const onScroll = () => {
    const el = box.current;
    if (el) setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 30);
  };
  return (
    <Card title={`Log (${lines.current.length} lines)`} actions={<label className="check"><input type="checkbox" checked={follow} onChange={(ev) => setFollow(ev.target.checked)} /> follow</label>}>
      <pre className="log" ref={box} onScroll={onScroll} data-testid="log">
        {lines.current.length ? lines.current.map((l) => <div key={l.seq} className={`log-${l.stream}`}><span className="log-seq">{l.seq}</span>{l.text}</div>) : <span className="muted">no output yet</span>}
      </pre>
    </Card>
  );
}
