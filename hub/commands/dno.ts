/**
 * `hoptrace-hub dno add|remove|import|list|export|history`: network ops' side of the DNO master list.
 *
 *   dno add TARGET... [--category C] [--reason TEXT] [--source NAME] [--why TEXT]
 *   dno remove TARGET... [--file FILE] [--category C] [--why TEXT] [--apply-good]
 *   dno import FILE|- [--category C] [--reason TEXT] [--source NAME] [--why TEXT] [--apply-good] [--progress]
 *   dno list [--target N] [--category C] [--limit N]
 *   dno export [--format csv|lines] [--category C] [--out FILE]
 *   dno history [--limit N] [--before VERSION]
 *
 * A TARGET is a number in any form (2025550100, +12025550100), a prefix (+1900*) or a range (+1…00-+1…99).
 * A refused change prints every bad line and exits 1; nothing changed.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import { EntryDecoder } from '../../agent/dno/entry-codec.js';
import type { LineProblem } from '../../agent/dno/file-error.js';
import { scanListText } from '../../agent/dno/listfile.js';
import { flags, UsageError } from '../../config/cli.js';
import { Progress } from '../../config/progress.js';
import { targetText } from '../../proto/dno-target.js';
import { DnoCategory, type DnoEntry } from '../../proto/messages.js';
import { type DnoChangeReply, DnoRefusedError } from '../dno/client.js';
import type { DnoEntryView } from '../dno/service.js';
import { clientFlags, type Out, withClient } from './client.js';
import type { DnoClient } from '../dno/client.js';

const options = {
  ...clientFlags,
  category: { type: 'string' },
  reason: { type: 'string' },
  source: { type: 'string' },
  why: { type: 'string' },
  file: { type: 'string' },
  'apply-good': { type: 'boolean' },
  target: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  progress: { type: 'boolean' },
} as const;

type Values = Partial<Record<keyof typeof options, string | boolean>>;

export async function dnoCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = flags(rest, options);
  return withClient(values, (c) => run(c.dno(), sub, values as Values, positionals, out));
}

async function run(dno: DnoClient, sub: string | undefined, values: Values, positionals: string[], out: Out): Promise<number> {
  const v = (name: keyof typeof options) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const applyGood = values['apply-good'] === true;
  const category = v('category') === undefined ? undefined : categoryFlag(v('category')!);
  const why = v('why');
  try {
    switch (sub) {
      case 'add': {
        if (positionals.length === 0) throw new UsageError('dno add needs at least one TARGET');
        const entries = entriesOf(positionals, { category, reason: v('reason'), source: v('source') });
        return changed(await dno.add(entries, why), out);
      }
      case 'remove': {
        const file = v('file');
        const targets = [...positionals, ...(file ? (await readFile(file, 'utf8')).split(/\r?\n/) : [])]
          .map((t) => t.trim())
          .filter((t) => t !== '' && !t.startsWith('#'))
          .map((t) => (category && !t.includes(',') ? `${t},${category}` : t));
        if (targets.length === 0) throw new UsageError('dno remove needs a TARGET or --file FILE');
        return changed(await dno.remove(targets, { ...(why && { why }), applyGood }), out);
      }
      case 'import': {
        const file = positionals[0];
        if (!file) throw new UsageError('dno import needs a FILE (or - for standard input)');
        const body = file === '-' ? await text(process.stdin) : await readFile(file, 'utf8');
        const reason = v('reason');
        const source = v('source');
        const progress = Progress.forCommand('dno import', 'lines', values.progress === true);
        const reply = await dno.import(progress ? uploading(body, progress) : body, {
          ...(category && { category }),
          ...(reason && { reason }),
          ...(source && { source }),
          ...(why && { why }),
          ...(file !== '-' && { file: basename(file) }),
          applyGood,
        }).finally(() => progress?.end());
        return changed(reply, out);
      }
      case 'list': {
        const summary = await dno.summary();
        const counts = Object.entries(summary.counts).map(([c, n]) => `${c} ${n}`).join(', ');
        out(`version ${summary.version}: ${summary.total} entries (${counts})\n`);
        const target = v('target');
        const views = target ? await dno.find(target) : await dno.list({ ...(category && { category }), limit: count(v('limit'), 100) });
        for (const view of views) out(formatView(view));
        if (target && views.length === 0) out(`${target} is not on the list\n`);
        return 0;
      }
      case 'export': {
        const format = v('format') ?? 'csv';
        if (format !== 'csv' && format !== 'lines') throw new UsageError('--format must be csv or lines');
        const path = v('out');
        const sink = path ? createWriteStream(path) : null;
        for await (const chunk of dno.export({ format, ...(category && { category }) })) {
          if (sink) sink.write(chunk);
          else out(chunk);
        }
        if (sink) await finished(sink.end());
        return 0;
      }
      case 'history': {
        const before = v('before');
        const rows = await dno.history({ limit: count(v('limit'), 20), ...(before && { before: count(before, 0) }) });
        for (const r of rows) {
          const w = r.what;
          const counts = [w.added && `+${w.added}`, w.removed && `-${w.removed}`, w.skipped && `${w.skipped} skipped`].filter(Boolean).join(' ');
          out(`v${r.version}  ${r.when}  ${r.who}  ${w.op}${w.file ? ` ${w.file}` : ''}  ${counts}${r.why ? `  "${r.why}"` : ''}\n`);
          if (w.sample.length > 0) out(`      ${w.sample.join(', ')}${w.added + w.removed > w.sample.length ? ', …' : ''}\n`);
        }
        return 0;
      }
      default:
        throw new UsageError('dno: expected add, remove, import, list, export or history');
    }
  } catch (err) {
    if (!(err instanceof DnoRefusedError)) throw err;
    out(`refused: ${err.message}\n${formatProblems(err.problems)}`);
    return 1;
  }
}

/** Upload slice by slice, counting the lines sent; once all are sent, say the hub is applying them. */
const UPLOAD_SLICE = 256 * 1024;

function uploading(body: string, progress: Progress): Readable {
  const bytes = Buffer.from(body, 'utf8');
  const total = lineCount(bytes);
  progress.begin('uploading', total);
  return Readable.from(
    (function* () {
      let sent = 0;
      for (let at = 0; at < bytes.length; at += UPLOAD_SLICE) {
        const slice = bytes.subarray(at, at + UPLOAD_SLICE);
        yield slice;
        sent += newlines(slice);
        progress.update(sent);
      }
      progress.update(total);
      progress.end();
      progress.waiting('applying on the hub');
    })(),
    { objectMode: false },
  );
}

function lineCount(bytes: Buffer): number {
  return newlines(bytes) + (bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? 1 : 0);
}

function newlines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

function changed(reply: DnoChangeReply, out: Out): number {
  const w = reply.row.what;
  out(`version ${reply.version}: ${w.op} added ${w.added}, removed ${w.removed}${w.skipped ? `, skipped ${w.skipped} bad line(s)` : ''}\n`);
  if (reply.skipped.length > 0) out(formatProblems(reply.skipped));
  return 0;
}

function formatProblems(problems: readonly LineProblem[]): string {
  return problems.map((p) => `  line ${p.line}: ${p.reason}: ${JSON.stringify(p.text)}\n`).join('');
}

function formatView(view: DnoEntryView): string {
  const e = view.entry;
  const by = view.who ? `  v${view.version} by ${view.who} ${view.when}` : `  v${view.version}`;
  return `${targetText(e)}\t${e.category}\t${e.reason ?? ''}\t${e.source ?? ''}${by}${view.why ? ` "${view.why}"` : ''}\n`;
}

/** Targets as list text reads them, with the flags' category, reason and source. */
function entriesOf(targets: string[], o: { category: DnoCategory | undefined; reason: string | undefined; source: string | undefined }): DnoEntry[] {
  const decoder = new EntryDecoder();
  const entries: DnoEntry[] = [];
  const problems = scanListText(targets.join('\n'), (field) => {
    const entry = decoder.entryOf(field, '');
    if (o.reason !== undefined) entry.reason = o.reason;
    if (o.source !== undefined) entry.source = o.source;
    entries.push(entry);
  }, { ...(o.category && { defaultCategory: o.category }) });
  if (problems.length > 0) throw new UsageError(`bad TARGET(s):\n${problems.map((p) => `  ${JSON.stringify(p.text)}: ${p.reason}`).join('\n')}`);
  return entries;
}

function categoryFlag(text: string): DnoCategory {
  const r = DnoCategory.safeParse(text);
  if (!r.success) throw new UsageError(`--category must be one of ${DnoCategory.options.join(', ')}`);
  return r.data;
}

function count(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`expected a whole number, got ${JSON.stringify(text)}`);
  return n;
}
