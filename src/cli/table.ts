/** One column of a text table: a header, how to read a row's cell, and an optional width cap. */
export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
  /** Longer cells are cut with "…" so one long title cannot push the other columns off screen. */
  max?: number;
}

/** Cells are single-line: newlines and tabs become spaces. */
export const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

const cut = (text: string, max: number | undefined) => (max !== undefined && text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text);

/** Renders rows as an aligned table with a header line; the last column is not padded. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], indent = ''): string {
  const cells = rows.map((row) => columns.map((c) => cut(oneLine(c.value(row)), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    indent +
    values
      .map((v, i) => {
        if (columns[i].align === 'right') return v.padStart(widths[i]);
        return i === values.length - 1 ? v : v.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** Renders label/value pairs with the values aligned. */
export function renderFields(fields: readonly [label: string, value: string][], indent = '  '): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd()).join('\n') + '\n';
}
