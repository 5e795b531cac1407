// A WebSocket outlives the moment its token was checked (at connect). When the token expires,
// the session's rights end with it: open subscriptions end with close 4401 "token expired", and
// an idle socket stays open but every new operation on it is refused as UNAUTHENTICATED (the
// context factory verifies the token again for each operation).
import { decodeJwt } from "jose";
import type { WebSocket } from "ws";

export const TOKEN_EXPIRED = { code: 4401, reason: "token expired" } as const;

/** setTimeout's longest delay (~24.8 days): a 30-day token is waited for in steps */
const MAX_DELAY = 2 ** 31 - 1;

interface Session {
  extra: { socket: WebSocket };
  /** graphql-ws: the operations in flight on this socket, by id */
  subscriptions: Record<string, unknown>;
}

/** `authorization` has been verified already; a token without `exp` never expires. */
export function closeAtTokenExpiry(session: Session, authorization: string): void {
  const token = authorization.trim().split(/\s+/)[1] ?? "";
  const exp = decodeJwt(token).exp;
  if (typeof exp !== "number") return;
  const { socket } = session.extra;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = exp * 1000 - Date.now();
    timer = setTimeout(() => {
      if (left > MAX_DELAY) return arm();
      if (Object.keys(session.subscriptions).length) socket.close(TOKEN_EXPIRED.code, TOKEN_EXPIRED.reason);
    }, Math.min(Math.max(0, left), MAX_DELAY));
    timer.unref();
  };
  arm();
  socket.once("close", () => clearTimeout(timer));
}
