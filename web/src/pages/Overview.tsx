// What is happening now: the scheduler, every running execution with its live progress, recent
// failures and the last 24 hours in numbers.
import { useMemo } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import { Card, ErrorNote, Progress, Status } from "../components/ui";
import { dateTime, duration, eta, percent, relative } from "../lib/format";
import { useActiveExecutions, useRefetchOnReconnect, type ActiveExecution } from "../lib/live";
import { href } from "../lib/router";
import { useNow, useThrottled } from "../lib/throttle";
import { useSession } from "../session";

const SchedulerFeed = graphql(`
  subscription SchedulerFeed {
    schedulerUpdated {
      running paused instances tasks enabledTasks pausedTasks scheduledTasks
      runningExecutions pendingExecutions startedAt version
    }
  }
`);

const OverviewQuery = graphql(`
  query Overview($since: DateTime!) {
    stats(from: $since) { total succeeded failed timedOut cancelled skipped running pending successRate p95DurationMs }
    executions(first: 8, filter: { status: [FAILED, TIMED_OUT], from: $since }) {
      edges { node { id status error finishedAt attempt task { name } } }
    }
  }
`);

const PauseScheduler = graphql(`mutation PauseScheduler { pauseScheduler { paused } }`);
const ResumeScheduler = graphql(`mutation ResumeScheduler { resumeScheduler { paused } }`);

export function Overview() {
  const session = useSession();
  const since = useMemo(() => new Date(Date.now() - 24 * 3600_000).toISOString(), []);
  const [overview, refetch] = useQuery({ query: OverviewQuery, variables: { since } });
  const reload = useThrottled(() => refetch({ requestPolicy: "network-only" }), 2000);
  useRefetchOnReconnect(reload);
  const active = useActiveExecutions({ onFinished: reload });
  const [{ data: scheduler }] = useSubscription({ query: SchedulerFeed });
  const [, pause] = useMutation(PauseScheduler);
  const [, resume] = useMutation(ResumeScheduler);
  const s = scheduler?.schedulerUpdated;
  const stats = overview.data?.stats;
  const running = [...active.items.values()].sort((a, b) =>
    a.status === b.status ? a.scheduledAt.localeCompare(b.scheduledAt) : a.status === "RUNNING" ? -1 : 1);

  return (
    <div className="grid">
      <Card
        title="Scheduler"
        actions={session.canAdmin && s ? (s.paused ? <button onClick={() => resume({})}>Resume scheduler</button> : <button onClick={() => pause({})}>Pause scheduler</button>) : null}
      >
        {s ? (
          <dl className="facts" data-testid="scheduler">
            <dt>State</dt><dd>{s.paused ? <span className="status status-cancelled">PAUSED</span> : <span className="status status-succeeded">RUNNING</span>}</dd>
            <dt>Instances</dt><dd>{s.instances}</dd>
            <dt>Tasks</dt><dd>{s.tasks} ({s.enabledTasks} enabled, {s.pausedTasks} paused, {s.scheduledTasks} scheduled)</dd>
            <dt>Executions</dt><dd>{s.runningExecutions} running, {s.pendingExecutions} pending</dd>
            <dt>Version</dt><dd>{s.version}, up since {dateTime(s.startedAt)}</dd>
          </dl>
        ) : <p className="muted">…</p>}
      </Card>
      <Card title="Last 24 hours">
        <ErrorNote error={overview.error} />
        {stats ? (
          <div className="numbers" data-testid="stats24h">
            <Figure label="runs" value={stats.total} />
            <Figure label="succeeded" value={stats.succeeded} />
            <Figure label="failed" value={stats.failed + stats.timedOut} tone={stats.failed + stats.timedOut ? "bad" : undefined} />
            <Figure label="cancelled" value={stats.cancelled} />
            <Figure label="success rate" value={percent(stats.successRate)} />
            <Figure label="p95 duration" value={duration(stats.p95DurationMs)} />
          </div>
        ) : null}
      </Card>
      <Card title={`Running now (${running.length})`}>
        <RunningTable rows={running} />
      </Card>
      <Card title="Recent failures">
        {overview.data?.executions.edges.length ? (
          <table>
            <thead><tr><th>Task</th><th>Status</th><th>Finished</th><th>Error</th></tr></thead>
            <tbody>
              {overview.data.executions.edges.map(({ node: e }) => (
                <tr key={e.id}>
                  <td><a href={href.task(e.task.name)}>{e.task.name}</a></td>
                  <td><a href={href.execution(e.id)}><Status status={e.status} /></a></td>
                  <td title={dateTime(e.finishedAt)}>{relative(e.finishedAt)}</td>
                  <td className="clip">{e.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p className="muted">No failures in the last 24 hours.</p>}
      </Card>
    </div>
  );
}

function Figure({ label, value, tone }: { label: string; value: string | number; tone?: "bad" }) {
  return <div className={`number ${tone ?? ""}`}><strong>{value}</strong><span>{label}</span></div>;
}

function RunningTable({ rows }: { rows: ActiveExecution[] }) {
  const now = useNow(1000);
  if (!rows.length) return <p className="muted">Nothing is running.</p>;
  return (
    <table className="running" data-testid="running">
      <thead><tr><th>Task</th><th>Status</th><th className="wide">Progress</th><th>Message</th><th>Current item</th><th>Elapsed</th><th>ETA</th></tr></thead>
      <tbody>
        {rows.map((e) => (
          <tr key={e.id} data-execution={e.id}>
            <td><a href={href.task(e.task.name)}>{e.task.name}</a>{e.stepId ? <span className="muted"> · {e.stepId}</span> : null}</td>
            <td><a href={href.execution(e.id)}><Status status={e.status} /></a></td>
            <td><Progress value={e.progress} status={e.status} />{e.totalItems ? <span className="muted small">{e.processedItems ?? 0} / {e.totalItems}</span> : null}</td>
            <td className="clip">{e.progressMessage}</td>
            <td className="clip">{e.currentItem}</td>
            <td>{e.startedAt ? duration(now - new Date(e.startedAt).getTime()) : "waiting"}</td>
            <td>{eta(e.startedAt, e.progress, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
