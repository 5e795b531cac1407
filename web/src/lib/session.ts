// The token lives in sessionStorage (this tab only, gone when it closes). `/?token=…` signs in
// once: the token is stored and removed from the address bar so it does not linger in history.
const KEY = "jobgraph.token";

export function takeTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (!token) return;
  sessionStorage.setItem(KEY, token.trim());
  url.searchParams.delete("token");
  window.history.replaceState(null, "", url.pathname + url.search + url.hash);
}

export const readToken = (): string | null => sessionStorage.getItem(KEY);
export const storeToken = (token: string): void => sessionStorage.setItem(KEY, token.trim());
export const clearToken = (): void => sessionStorage.removeItem(KEY);

/** "Bearer …" whether or not the person pasted the prefix */
export const bearer = (token: string): string => (/^bearer\s/i.test(token) ? token : `Bearer ${token}`);
