/**
 * Positional layouts (Ribbon, Acme, BroadWorks CSV, Sansay, generic CSV): 1-based positions as the vendors'
 * field tables number them, each overridable from options because layouts change between releases. Layouts
 * given as a list of names (Asterisk, FreeSWITCH templates) are `Columns`.
 */
import { z } from 'zod';
import type { CsvRow } from './csv.js';

export const Position = z.number().int().min(1).max(2000);

/** Field `pos` (1-based); '' when the record is shorter (trailing columns are often omitted). */
export function field(row: CsvRow, pos: number | undefined): string {
  return pos === undefined ? '' : row.field(pos - 1);
}

/** `field 60 (dialled number)`, the prefix of every reason about one field. */
export function label(pos: number, name: string): string {
  return `field ${pos} (${name})`;
}

/** The highest position a layout reads: the tokenizer can stop there and shorter records are malformed. */
export function highest(layout: Readonly<Record<string, number | undefined>>): number {
  let max = 0;
  for (const v of Object.values(layout)) if (v !== undefined && v > max) max = v;
  return max;
}

export function tooShort(count: number, need: number): string {
  return `record has ${count} fields, expected at least ${need}`;
}

/** Column names → positions, for formats whose layout is a list of names. */
export class Columns {
  private readonly index = new Map<string, number>();
  /** '' names a column that holds no variable (a literal in a template): it is never looked up. */
  constructor(readonly names: readonly string[]) {
    names.forEach((n, i) => {
      if (n !== '' && !this.index.has(n)) this.index.set(n, i);
    });
  }

  /** The value of column `name`; '' when the layout has no such column or the row is short. */
  get(row: CsvRow, name: string): string {
    const i = this.index.get(name);
    return i === undefined ? '' : row.field(i);
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  label(name: string): string {
    const i = this.index.get(name);
    return i === undefined ? name : label(i + 1, name);
  }
}
