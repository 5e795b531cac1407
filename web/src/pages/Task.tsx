// One task: its config and schedule with the next fires, statistics and a duration chart,
// history with filters and paging, its audit trail, and a trigger with a params editor.
import { lazy, Suspense, useMemo, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { ExecutionStatus } from "../gql/graphql";
import { Card, ErrorNote, Json, Pager, Status, nextPages } from "../components/ui";
import { AuditTable } from "./Audit";
import { TaskSwitches } from "./Tasks";
import { dateTime, duration, percent, relative, scheduleInWords } from "../lib/format";
import { useActiveExecutions, useRefetchOnReconnect } from "../lib/live";
import { href } from "../lib/router";
import { useThrottled } from "../lib/throttle";
import { useSession } from "../session";

const DurationChart = lazy(() => import("../components/DurationChart"));

const TaskQuery = graphql(`
  query TaskPage($name: String!, $from: DateTime!, $bucketSeconds: Int!) {
    task(name: $name) {
      id name displayName description kind config enabled paused
      maxRetries retryDelaySeconds retryBackoff timeoutSeconds overlapPolicy misfirePolicy
      nextRunAt upcomingFires(first: 5) createdAt updatedAt
      schedule { cron intervalSeconds runAt timezone }
      stats { total succeeded failed timedOut cancelled skipped running pending successRate avgDurationMs p50DurationMs p95DurationMs lastFinishedAt lastStatus }
      statsSeries(from: $from, bucketSeconds: $bucketSeconds) { start total failed timedOut avgDurationMs p95DurationMs maxDurationMs }
    }
  }
`);

const TaskHistory = graphql(`
  query TaskHistory($name: String!, $after: String, $filter: ExecutionFilter) {
    task(name: $name) {
      id
      executions(first: 15, after: $after, filter: $filter) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id status trigger manual attempt scheduledAt startedAt durationMs error triggeredBy } }
      }
    }
  }
`);

const TaskChanged = graphql(`subscription TaskPageChanged($id: ID) { taskChanged(id: $id) { id } }`);

const Trigger = graphql(`
  mutation TriggerTask($id: ID!, $params: JSON, $force: Boolean) {
    triggerTask(id: $id, params: $params, force: $force) { id status }
  }
`);

const RANGES = {
  "24 h": { ms: 24 * 3600_000, bucketSeconds: 900 },
  "7 d": { ms: 7 * 24 * 3600_000, bucketSeconds: 3 * 3600 },
  "30 d": { ms: 30 * 24 * 3600_000, bucketSeconds: 12 * 3600 },
} as const;
type RangeName = keyof typeof RANGES;

const STATUSES: ExecutionStatus[] = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED"];

export function TaskPage({ name }: { name: string }) {
  const session = useSession();
  const [range, setRange] = useState<RangeName>("24 h");
  const from = useMemo(() => new Date(Math.floor((Date.now() - RANGES[range].ms) / 60_000) * 60_000).toISOString(), [range]);
  const [result, refetch] = useQuery({ query: TaskQuery, variables: { name, from, bucketSeconds: RANGES[range].bucketSeconds } });
  const task = result.data?.task;
  const reload = useThrottled(() => refetch({ requestPolicy: "network-only" }), 2000);
  const [historyKey, setHistoryKey] = useState(0);
  const onRunEnded = () => {
    reload();
    setHistoryKey((k) => k + 1);
  };
  useRefetchOnReconnect(onRunEnded);
  useSubscription({ query: TaskChanged, variables: { id: task?.id ?? null }, pause: !task }, () => (reload(), true));

  if (result.error) return <ErrorNote error={result.error} />;
  if (!result.data) return <p className="muted">Loading…</p>;
  if (!task) return <p className="error">No task named “{name}”.</p>;
  const stats = task.stats;
  return (
    <div className="grid">
      <Card title={task.displayName ? `${task.name} — ${task.displayName}` : task.name} actions={session.canOperate ? <TaskSwitches task={task} /> : null}>
        {task.description ? <p>{task.description}</p> : null}
        <dl className="facts">
          <dt>Kind</dt><dd>{task.kind}</dd>
          <dt>State</dt><dd>{task.enabled ? (task.paused ? "paused (manual runs only)" : "enabled") : "disabled (no runs)"}</dd>
          <dt>Schedule</dt><dd>{scheduleInWords(task.schedule)}{task.schedule?.cron ? <code className="small"> {task.schedule.cron}</code> : null}</dd>
          <dt>Next fires</dt>
          <dd data-testid="upcoming">{task.upcomingFires.length ? <ul className="plain">{task.upcomingFires.map((f) => <li key={f}>{dateTime(f)} <span className="muted">({relative(f)})</span></li>)}</ul> : <span className="muted">none</span>}</dd>
          <dt>Retries</dt><dd>{task.maxRetries} × after {task.retryDelaySeconds} s (backoff ×{task.retryBackoff})</dd>
          <dt>Timeout</dt><dd>{task.timeoutSeconds ? duration(task.timeoutSeconds * 1000) : "none"}</dd>
          <dt>Policies</dt><dd>overlap {task.overlapPolicy}, misfire {task.misfirePolicy}</dd>
        </dl>
        <details><summary>Config</summary><Json value={task.config} /></details>
      </Card>
      {session.canOperate ? <TriggerForm taskId={task.id} config={task.config} enabled={task.enabled} /> : null}
      <Card title="Statistics (all time)">
        <div className="numbers">
          <div className="number"><strong>{stats.total}</strong><span>runs</span></div>
          <div className="number"><strong>{percent(stats.successRate)}</strong><span>success rate</span></div>
          <div className="number"><strong>{duration(stats.p50DurationMs)}</strong><span>p50</span></div>
          <div className="number"><strong>{duration(stats.p95DurationMs)}</strong><span>p95</span></div>
          <div className={`number ${stats.failed + stats.timedOut ? "bad" : ""}`}><strong>{stats.failed + stats.timedOut}</strong><span>failed</span></div>
          <div className="number"><strong>{stats.running + stats.pending}</strong><span>active</span></div>
        </div>
      </Card>
      <Card title="Duration over time" actions={<span className="segmented">{(Object.keys(RANGES) as RangeName[]).map((r) => <button key={r} className={r === range ? "active" : ""} onClick={() => setRange(r)}>{r}</button>)}</span>}>
        <Suspense fallback={<div className="chart muted">…</div>}>
          <DurationChart buckets={task.statsSeries} />
        </Suspense>
      </Card>
      <RunningOfTask taskId={task.id} onEnded={onRunEnded} />
      <History key={historyKey} name={task.name} />
      <Card title="Audit events">
        <AuditTable taskId={task.id} />
      </Card>
    </div>
  );
}

function RunningOfTask({ taskId, onEnded }: { taskId: string; onEnded(): void }) {
  const active = useActiveExecutions({ taskId, onFinished: onEnded });
  const rows = [...active.items.values()];
  if (!rows.length) return null;
  return (
    <Card title="Running now">
      <ul className="plain">
        {rows.map((e) => <li key={e.id}><a href={href.execution(e.id)}><Status status={e.status} /> {e.progressMessage ?? ""} {e.progress != null ? percent(e.progress) : ""}</a></li>)}
      </ul>
    </Card>
  );
}

function History({ name }: { name: string }) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const [statuses, setStatuses] = useState<ExecutionStatus[]>([]);
  const [manual, setManual] = useState<"" | "true" | "false">("");
  const filter = { ...(statuses.length ? { status: statuses } : {}), ...(manual ? { manual: manual === "true" } : {}) };
  const [result] = useQuery({ query: TaskHistory, variables: { name, after: stack.at(-1) ?? null, filter }, requestPolicy: "network-only" });
  const page = result.data?.task?.executions;
  const pages = nextPages(stack, page?.pageInfo.endCursor);
  const toggle = (s: ExecutionStatus) => {
    setStatuses((prev) => (prev.includes(s) ? prev.filter((x) => x !== s) : [...prev, s]));
    setStack([null]);
  };
  return (
    <Card title="History">
      <div className="filters">
        {STATUSES.map((s) => (
          <label key={s} className="check"><input type="checkbox" checked={statuses.includes(s)} onChange={() => toggle(s)} /> {s}</label>
        ))}
        <select value={manual} onChange={(e) => { setManual(e.target.value as typeof manual); setStack([null]); }} aria-label="trigger">
          <option value="">manual or scheduled</option>
          <option value="true">manual</option>
          <option value="false">scheduled</option>
        </select>
      </div>
      <ErrorNote error={result.error} />
      <table data-testid="history">
        <thead><tr><th>Status</th><th>Trigger</th><th>Attempt</th><th>Scheduled</th><th>Duration</th><th>By</th><th>Error</th></tr></thead>
        <tbody>
          {page?.edges.map(({ node: e }) => (
            <tr key={e.id}>
              <td><a href={href.execution(e.id)}><Status status={e.status} /></a></td>
              <td>{e.trigger}</td>
              <td>{e.attempt}</td>
              <td title={dateTime(e.scheduledAt)}>{relative(e.scheduledAt)}</td>
              <td>{duration(e.durationMs)}</td>
              <td>{e.triggeredBy ?? <span className="muted">schedule</span>}</td>
              <td className="clip">{e.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager total={page?.totalCount} hasNewer={stack.length > 1} hasOlder={!!page?.pageInfo.hasNextPage} onNewer={() => setStack(pages.newer)} onOlder={() => setStack(pages.older)} />
    </Card>
  );
}

/** the params editor starts from the config's defaults; only a JSON object is sent */
function TriggerForm({ taskId, config, enabled }: { taskId: string; config: unknown; enabled: boolean }) {
  const defaults = (config as { defaults?: unknown } | null)?.defaults ?? {};
  const [text, setText] = useState(() => JSON.stringify(defaults, null, 2));
  const [force, setForce] = useState(false);
  const [state, trigger] = useMutation(Trigger);
  const parsed = useMemo(() => {
    try {
      const value: unknown = JSON.parse(text || "{}");
      if (value === null || typeof value !== "object" || Array.isArray(value)) return { error: "params must be a JSON object, e.g. { \"count\": 5 }" };
      return { value };
    } catch (e) {
      return { error: `not valid JSON: ${(e as Error).message}` };
    }
  }, [text]);
  const submit = async () => {
    if (!("value" in parsed)) return;
    const r = await trigger({ id: taskId, params: parsed.value, force });
    if (r.data?.triggerTask) location.hash = href.execution(r.data.triggerTask.id);
  };
  return (
    <Card title="Trigger a run">
      <label className="block">
        Params (merged over the config's defaults)
        <textarea className="code" rows={6} value={text} onChange={(e) => setText(e.target.value)} aria-label="params" spellCheck={false} />
      </label>
      {"error" in parsed ? <p className="error" data-testid="params-error">{parsed.error}</p> : null}
      <label className="check"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> force (ignore the overlap policy)</label>
      <div>
        <button className="primary" onClick={submit} disabled={"error" in parsed || state.fetching || !enabled} title={enabled ? "" : "a disabled task cannot run"}>Trigger</button>
      </div>
      <ErrorNote error={state.error} />
    </Card>
  );
}
