/**
 * What network ops do with the DNO master list (API and CLI): add, remove, import, look up, list, export and
 * read the change log. Input is checked here (schemas, list text); what a change means is master.ts's, how it
 * is kept the store's.
 */
import { z } from 'zod';
import { categoryOfField, EntryDecoder } from '../../agent/dno/entry-codec.js';
import { formatListLine, scanListText } from '../../agent/dno/listfile.js';
import { DnoCategory, DnoEntry, MessageError, parse } from '../../proto/messages.js';
import { addRequest, type DnoChangeRow, importRequest, removeRequest } from './master.js';
import { versionOfPayload } from './layout.js';
import { PayloadCache } from './payloads.js';
import type { DnoChangeResult, DnoListStore, DnoSummary, StoredEntries } from './store.js';

/** Entries or targets per API call that takes them as JSON (a larger list is an import). */
export const MAX_JSON_ENTRIES = 10_000;

const Why = z.string().min(1).max(512);
export const DnoAddInput = z.object({ entries: z.array(DnoEntry).min(1).max(MAX_JSON_ENTRIES), why: Why.optional() });
export const DnoRemoveInput = z.object({
  /** As list text writes them: '+12025550100', '+1900*', a range, optionally ',category'. */
  targets: z.array(z.string().min(1).max(64).regex(/^[^\r\n]*$/, 'one target per item, no line breaks')).min(1).max(MAX_JSON_ENTRIES),
  why: Why.optional(),
  applyGood: z.boolean().default(false),
});
export const DnoImportOptions = z.object({
  category: DnoCategory.optional(),
  reason: z.string().max(256).optional(),
  source: z.string().max(128).optional(),
  why: Why.optional(),
  file: z.string().max(256).optional(),
  applyGood: z.boolean().default(false),
});
export type DnoImportOptions = z.input<typeof DnoImportOptions>;

export type DnoExportFormat = 'csv' | 'lines';

/** An entry as people see it: with the change that put it on the list. */
export interface DnoEntryView {
  entry: DnoEntry;
  version: number;
  who?: string;
  when?: string;
  why?: string;
}

export interface DnoServiceOptions {
  store: DnoListStore;
  /** Exempt short codes beyond 911 and 112 that no entry may cover. */
  emergency?: readonly string[];
  now?: () => number;
}

export class DnoService {
  readonly store: DnoListStore;
  readonly payloads: PayloadCache;
  private readonly emergency: readonly string[];
  private readonly now: () => number;

  constructor(o: DnoServiceOptions) {
    this.store = o.store;
    this.payloads = new PayloadCache(o.store);
    this.emergency = o.emergency ?? [];
    this.now = o.now ?? Date.now;
  }

  summary(): Promise<DnoSummary> {
    return this.store.summary();
  }

  add(body: unknown, who: string): Promise<DnoChangeResult> {
    const { entries, why } = parse(DnoAddInput, body);
    return this.store.change(addRequest(entries, this.emergency, { who, ...(why && { why }) }), this.now());
  }

  remove(body: unknown, who: string): Promise<DnoChangeResult> {
    const { targets, why, applyGood } = parse(DnoRemoveInput, body);
    return this.store.change(removeRequest(targets.join('\n'), { who, applyGood, ...(why && { why }) }), this.now());
  }

  import(text: string, options: DnoImportOptions, who: string): Promise<DnoChangeResult> {
    const o = parse(DnoImportOptions, options);
    const req = importRequest(
      text,
      { ...(o.category && { category: o.category }), ...(o.reason && { reason: o.reason }), ...(o.source && { source: o.source }), emergency: this.emergency },
      { who, applyGood: o.applyGood, ...(o.why && { why: o.why }), ...(o.file && { file: o.file }) },
    );
    return this.store.change(req, this.now());
  }

  /** The entries for one target (any form list text takes), in every category. */
  async find(target: string): Promise<DnoEntryView[]> {
    let field: string | undefined;
    const problems = scanListText(target.replace(/[\r\n]/g, ' '), (f) => (field = f));
    if (field === undefined) throw new MessageError('target', problems[0]?.reason ?? 'a number, prefix or range is required', []);
    return this.views(await this.store.find(field.slice(1)));
  }

  /** The first `limit` entries (of `category`), in storage order. */
  async list(opts: { category?: DnoCategory; limit: number }): Promise<DnoEntryView[]> {
    const picked: StoredEntries = { fields: [], pids: [] };
    const { chunks } = await this.store.read();
    for await (const chunk of chunks) {
      chunk.fields.forEach((field, i) => {
        if (picked.fields.length >= opts.limit || !inCategory(field, opts.category)) return;
        picked.fields.push(field);
        picked.pids.push(chunk.pids[i]!);
      });
      if (picked.fields.length >= opts.limit) break;
    }
    return this.views(picked);
  }

  /** The list as import reads it back: CSV (number,category,reason) or one target per line. */
  async *export(opts: { format: DnoExportFormat; category?: DnoCategory }): AsyncIterable<string> {
    const columns = opts.format === 'csv';
    if (columns) yield 'number,category,reason\n';
    const decoder = new EntryDecoder();
    const { chunks } = await this.store.read();
    for await (const chunk of chunks) {
      await this.payloads.load(chunk.pids);
      const lines: string[] = [];
      chunk.fields.forEach((field, i) => {
        if (!inCategory(field, opts.category)) return;
        const entry = decoder.entryOf(field, '');
        const { reason } = this.payloads.get(chunk.pids[i]!);
        if (reason !== undefined) entry.reason = reason;
        lines.push(`${formatListLine(entry, columns)}\n`);
      });
      if (lines.length > 0) yield lines.join('');
    }
  }

  history(opts: { before?: number; limit: number }): Promise<DnoChangeRow[]> {
    return this.store.history(opts);
  }

  private async views(found: StoredEntries): Promise<DnoEntryView[]> {
    await this.payloads.load(found.pids);
    const versions = [...new Set(found.pids.map(versionOfPayload))];
    const rows = new Map((await this.store.rows(versions)).map((r) => [r.version, r]));
    const decoder = new EntryDecoder();
    return found.fields.map((field, i) => {
      const pid = found.pids[i]!;
      const entry = decoder.entryOf(field, '');
      Object.assign(entry, this.payloads.get(pid));
      const version = versionOfPayload(pid);
      const row = rows.get(version);
      return { entry, version, ...(row && { who: row.who, when: row.when }), ...(row?.why !== undefined && { why: row.why }) };
    });
  }
}

function inCategory(field: string, category: DnoCategory | undefined): boolean {
  return category === undefined || categoryOfField(field) === category;
}
