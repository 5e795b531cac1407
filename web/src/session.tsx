// Who is signed in and what the socket is doing, for every page.
import { createContext, useContext } from "react";
import type { ConnectionState } from "./lib/client";

export interface Session {
  sub: string;
  role: string;
  /** trigger, cancel, enable/disable, pause/resume tasks */
  canOperate: boolean;
  /** mark failed, pause/resume the scheduler */
  canAdmin: boolean;
  connection: ConnectionState;
  /** +1 on every (re)connection of the socket: pages refetch their queries when it changes */
  epoch: number;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
