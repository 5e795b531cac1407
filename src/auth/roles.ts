// Roles are ordered: each one can do everything the one before it can.
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  sub: string;
  role: Role;
}

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

export const hasRole = (viewer: Viewer | null, needed: Role): boolean =>
  viewer !== null && ROLES.indexOf(viewer.role) >= ROLES.indexOf(needed);
