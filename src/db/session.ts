// The few raw SQL operations that must bypass Prisma (migrations, advisory locks, LISTEN),
// behind one interface so both backends share the code that uses them.

export interface SqlSession {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** runs a script of several statements (simple protocol, no parameters) */
  exec(script: string): Promise<void>;
}
