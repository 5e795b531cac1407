// Sign-in, the signed-in shell (navigation, who, connection state) and the page router.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Provider, useQuery, useSubscription } from "urql";
import { graphql } from "./gql";
import { createDashboardClient, type ConnectionState } from "./lib/client";
import { href, useRoute } from "./lib/router";
import { clearToken, readToken, storeToken } from "./lib/session";
import { SessionContext, type Session } from "./session";
import { Overview } from "./pages/Overview";
import { Tasks } from "./pages/Tasks";
import { TaskPage } from "./pages/Task";
import { ExecutionPage } from "./pages/Execution";
import { Audit } from "./pages/Audit";

const ViewerQuery = graphql(`
  query Viewer {
    viewer { sub role }
  }
`);

// The shell holds one subscription of its own on every page, so the WebSocket stays open while a
// page has nothing live (a finished run's streams complete) and the connection indicator always
// says whether the server is reachable.
const ShellFeed = graphql(`
  subscription ShellFeed {
    schedulerUpdated { running }
  }
`);

export function App() {
  const [token, setToken] = useState(readToken);
  const [refusal, setRefusal] = useState<string | null>(null);
  const signOut = (message: string | null) => {
    clearToken();
    setRefusal(message);
    setToken(null);
  };
  if (!token) {
    return <SignIn error={refusal} onToken={(t) => { storeToken(t); setRefusal(null); setToken(readToken()); }} />;
  }
  return <Connected key={token} token={token} onRefused={(m) => signOut(m)} onSignOut={() => signOut(null)} />;
}

function SignIn({ error, onToken }: { error: string | null; onToken(token: string): void }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onToken(value);
  };
  return (
    <main className="signin">
      <form onSubmit={submit} className="card">
        <h1>jobgraph</h1>
        <p>Paste a token: <code>npm start</code> prints an admin token; <code>npm run token -- --role viewer --sub you</code> mints others.</p>
        <label>
          Token
          <textarea name="token" rows={4} value={value} onChange={(e) => setValue(e.target.value)} placeholder="eyJhbGciOi…" autoFocus />
        </label>
        {error ? <p className="error" role="alert" data-testid="signin-error">Signed out: {error}</p> : null}
        <button type="submit" className="primary" disabled={!value.trim()}>Sign in</button>
        <p className="muted">The token stays in this tab only (sessionStorage). Opening <code>/?token=…</code> signs in too.</p>
      </form>
    </main>
  );
}

function Connected({ token, onRefused, onSignOut }: { token: string; onRefused(message: string): void; onSignOut(): void }) {
  const [connection, setConnection] = useState<{ state: ConnectionState; epoch: number }>({ state: "connecting", epoch: 0 });
  const client = useMemo(
    () => createDashboardClient(token, { onUnauthenticated: onRefused, onConnection: (state, epoch) => setConnection({ state, epoch }) }),
    // one client per token; the callbacks only change with it
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [token],
  );
  useEffect(() => () => client.dispose(), [client]);
  return (
    <Provider value={client.urql}>
      <Shell connection={connection} onRefused={onRefused} onSignOut={onSignOut} />
    </Provider>
  );
}

function Shell({ connection, onRefused, onSignOut }: { connection: { state: ConnectionState; epoch: number }; onRefused(m: string): void; onSignOut(): void }) {
  const [{ data, error, fetching }] = useQuery({ query: ViewerQuery, requestPolicy: "network-only" });
  const route = useRoute();
  const viewer = data?.viewer;
  useSubscription({ query: ShellFeed, pause: !viewer });
  useEffect(() => {
    if (data && !viewer) onRefused("the server did not accept this token");
  }, [data, viewer, onRefused]);
  if (!viewer) {
    return <main className="signin"><p className="muted">{error && !fetching ? `Cannot reach the server: ${error.message}` : "Signing in…"}</p></main>;
  }
  const session: Session = {
    sub: viewer.sub,
    role: viewer.role,
    canOperate: viewer.role === "operator" || viewer.role === "admin",
    canAdmin: viewer.role === "admin",
    connection: connection.state,
    epoch: connection.epoch,
    signOut: onSignOut,
  };
  const tab = route.page === "task" ? "tasks" : route.page === "execution" ? "" : route.page;
  return (
    <SessionContext.Provider value={session}>
      <header className="top">
        <a className="brand" href={href.overview()}>jobgraph</a>
        <nav>
          <a className={tab === "overview" ? "active" : ""} href={href.overview()}>Overview</a>
          <a className={tab === "tasks" ? "active" : ""} href={href.tasks()}>Tasks</a>
          <a className={tab === "audit" ? "active" : ""} href={href.audit()}>Audit log</a>
          <a href="/graphql" target="_blank" rel="noreferrer">GraphiQL</a>
        </nav>
        <span className={`conn conn-${connection.state}`} data-testid="connection">{connection.state === "live" ? "● live" : connection.state === "connecting" ? "○ connecting…" : "○ reconnecting…"}</span>
        <span className="who" data-testid="who">{viewer.sub} · {viewer.role}</span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      <main className="page">
        {route.page === "overview" ? <Overview /> : null}
        {route.page === "tasks" ? <Tasks /> : null}
        {route.page === "task" ? <TaskPage key={route.name} name={route.name} /> : null}
        {route.page === "execution" ? <ExecutionPage key={route.id} id={route.id} /> : null}
        {route.page === "audit" ? <Audit /> : null}
      </main>
    </SessionContext.Provider>
  );
}
