// Hash routes (#/tasks/nightly_sync): the server serves one page at "/" and never needs to know
// the dashboard's routes.
import { useEffect, useState } from "react";

export type Route =
  | { page: "overview" }
  | { page: "tasks" }
  | { page: "task"; name: string }
  | { page: "execution"; id: string }
  | { page: "audit" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "tasks" && parts[1]) return { page: "task", name: parts[1] };
  if (parts[0] === "tasks") return { page: "tasks" };
  if (parts[0] === "executions" && parts[1]) return { page: "execution", id: parts[1] };
  if (parts[0] === "audit") return { page: "audit" };
  return { page: "overview" };
}

export const href = {
  overview: () => "#/",
  tasks: () => "#/tasks",
  task: (name: string) => `#/tasks/${encodeURIComponent(name)}`,
  execution: (id: string) => `#/executions/${encodeURIComponent(id)}`,
  audit: () => "#/audit",
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
