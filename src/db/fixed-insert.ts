import { CompiledQuery, type Insertable, type InsertType } from 'kysely';
import type { DialectName } from './dialect.ts';
import type { DB } from './schema.ts';
import { q, type TxContext } from './transaction.ts';

/**
 * An INSERT of one row into a fixed list of columns, its SQL written once per engine instead of
 * built and compiled by Kysely on every call. For the ingest hot path (a signal and an alert per
 * event), where Kysely's per-call building was most of the statement's cost (~8 µs against ~3 µs
 * for a small insert on SQLite). Every listed column is bound, absent values as NULL.
 */
/** Every column but the generated ones (nullable columns too: a row that has them must not lose them). */
type ColumnsToList<R> = { [K in keyof R]-?: undefined extends InsertType<R[K]> ? never : K }[keyof R];
/** Refuses (at compile time) a column list that leaves out a column other than a generated one. */
type NamesEveryColumn<T extends keyof DB, C> = [Exclude<ColumnsToList<DB[T]>, C>] extends [never] ? unknown : { missing: Exclude<ColumnsToList<DB[T]>, C> };

export function fixedInsert<T extends keyof DB & string, C extends keyof Insertable<DB[T]> & string>(table: T, columns: readonly C[] & NamesEveryColumn<T, C>, opts: { returningId?: boolean } = {}) {
  const text = new Map<DialectName, string>();
  const sqlFor = (dialect: DialectName) => {
    let s = text.get(dialect);
    if (!s) {
      const placeholders = columns.map((_, i) => (dialect === 'postgres' ? `$${i + 1}` : '?'));
      s = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${placeholders.join(', ')})${opts.returningId ? ' returning "id"' : ''}`;
      text.set(dialect, s);
    }
    return s;
  };
  return async (ctx: TxContext, row: Pick<Insertable<DB[T]>, C>): Promise<number | undefined> => {
    const params = columns.map((c) => (row as Record<string, unknown>)[c] ?? null);
    const result = await q(ctx).executeQuery<{ id: number | string }>(CompiledQuery.raw(sqlFor(ctx.db.dialect.name), params));
    return opts.returningId ? Number(result.rows[0].id) : undefined;
  };
}
