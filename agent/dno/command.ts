/**
 * `hoptrace-agent dno add|remove|import|list`: the site's own DNO list — its spare (unassigned) and inbound-only
 * numbers — kept in the local list file (`dno.file`, `--dno-file`). The file never leaves the site: it is not
 * sent to the hub, and it is merged into every decision with the category each line names. A running agent
 * picks an edit up within about a second (agent/dno/start.ts). The file is written whole to a temporary file
 * and renamed over the old one, so the agent never reads half an edit.
 *
 *   dno add TARGET... [--category C] [--reason TEXT]        (category default: unassigned)
 *   dno remove TARGET... [--category C]
 *   dno import FILE [--category C] [--reason TEXT] [--apply-good] [--progress]
 *   dno list [--category C]
 * The list file is `--dno-file FILE`, else `dno.file` of `--config FILE`, else HOPTRACE_DNO_FILE.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { flags, UsageError } from '../../config/cli.js';
import { countLines, Progress } from '../../config/progress.js';
import { loadAgentConfig } from '../../config/load.js';
import { DnoCategory, type DnoEntry } from '../../proto/messages.js';
import { EntryDecoder } from './entry-codec.js';
import { DnoFileError, type LineProblem } from './file-error.js';
import { formatListLine, parseListFile, scanListText } from './listfile.js';
import { addEntries, importText, type LocalEdit, removeTargets } from './local-list.js';

type Out = (s: string) => void;

const LOCAL_DEFAULT: DnoCategory = 'unassigned';

export async function localDnoCommand(args: readonly string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = flags(rest, {
    'dno-file': { type: 'string' },
    config: { type: 'string' },
    category: { type: 'string' },
    reason: { type: 'string' },
    'apply-good': { type: 'boolean' },
    progress: { type: 'boolean' },
  });
  const file = listFile(values['dno-file'] as string | undefined, values.config as string | undefined);
  const category = values.category === undefined ? undefined : categoryFlag(values.category as string);
  const reason = values.reason as string | undefined;
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  try {
    switch (sub) {
      case 'add': {
        if (positionals.length === 0) throw new UsageError('dno add needs at least one TARGET');
        const entries = entriesOf(positionals, category ?? LOCAL_DEFAULT, reason);
        return written(file, addEntries(text, file, entries), out);
      }
      case 'remove': {
        if (positionals.length === 0) throw new UsageError('dno remove needs at least one TARGET');
        const targets = positionals.map((t) => (category ? `${t},${category}` : t)).join('\n');
        return written(file, removeTargets(text, file, targets, 'the command line'), out);
      }
      case 'import': {
        const from = positionals[0];
        if (!from) throw new UsageError('dno import needs a FILE');
        const incoming = await readFile(from, 'utf8');
        const progress = Progress.forCommand('dno import', 'lines', values.progress === true);
        const lines = progress ? countLines(incoming) : 0;
        try {
          const edit = importText(text, file, incoming, from, {
            category: category ?? LOCAL_DEFAULT,
            ...(reason !== undefined && { reason }),
            applyGood: values['apply-good'] === true,
            ...(progress && { progress: (step, done, total) => progress.at(step, done, total ?? lines) }),
          });
          progress?.at('writing', 0);
          return await written(file, edit, out);
        } finally {
          progress?.end();
        }
      }
      case 'list': {
        for (const entry of parseListFile(text, file)) if (!category || entry.category === category) out(`${formatListLine(entry, true)}\n`);
        return 0;
      }
      default:
        throw new UsageError('dno: expected add, remove, import or list');
    }
  } catch (err) {
    if (!(err instanceof DnoFileError)) throw err;
    out(`refused: ${err.file}: ${err.errors.length} bad line(s); ${file} is unchanged\n${formatProblems(err.errors)}`);
    return 1;
  }
}

function listFile(flag: string | undefined, config: string | undefined): string {
  if (flag) return flag;
  const fromConfig = config ? loadAgentConfig({ flags: ['--config', config] }).config.dno.file : undefined;
  const file = fromConfig ?? process.env.HOPTRACE_DNO_FILE;
  if (!file) throw new UsageError('which list? --dno-file FILE, or --config FILE with dno.file set (or HOPTRACE_DNO_FILE)');
  return file;
}

async function written(file: string, edit: LocalEdit, out: Out): Promise<number> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, edit.text, { mode: 0o644 });
  await rename(tmp, file);
  out(`${file}: added ${edit.added}, removed ${edit.removed}${edit.skipped.length ? `, skipped ${edit.skipped.length} bad line(s)` : ''}\n`);
  if (edit.skipped.length > 0) out(formatProblems(edit.skipped));
  return 0;
}

function entriesOf(targets: readonly string[], category: DnoCategory, reason: string | undefined): DnoEntry[] {
  const decoder = new EntryDecoder();
  const entries: DnoEntry[] = [];
  const problems = scanListText(
    targets.join('\n'),
    (field) => {
      const entry = decoder.entryOf(field, '');
      if (reason !== undefined) entry.reason = reason;
      entries.push(entry);
    },
    { defaultCategory: category },
  );
  if (problems.length > 0) throw new DnoFileError('the command line', problems);
  return entries;
}

function formatProblems(problems: readonly LineProblem[]): string {
  return problems.map((p) => `  line ${p.line}: ${p.reason}: ${JSON.stringify(p.text)}\n`).join('');
}

function categoryFlag(text: string): DnoCategory {
  const r = DnoCategory.safeParse(text);
  if (!r.success) throw new UsageError(`--category must be one of ${DnoCategory.options.join(', ')}`);
  return r.data;
}
