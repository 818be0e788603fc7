/**
 * Progress of a long command-line job (a DNO import, a campaign of tracebacks) on stderr: how much is done of
 * how much, and how fast. On a terminal it is one line redrawn in place; with `--progress` (logs, CI) it is a
 * line a second. Otherwise nothing, so a script reading stdout and stderr sees only results and errors.
 */

export interface ProgressOptions {
  /** What the job is: `dno import`. */
  job: string;
  /** What is counted: `lines`, `tracebacks`. */
  unit: string;
  write(s: string): void;
  /** Redraw one line (a terminal) rather than print a line each time. */
  redraw: boolean;
  now?: () => number;
}

/** What one progress line says. */
export interface ProgressState {
  job: string;
  step: string;
  unit: string;
  done: number;
  total: number | undefined;
  elapsedMs: number;
}

/** Redraws on a terminal this often; prints a line this often otherwise. */
const REDRAW_MS = 100;
const LINE_MS = 1000;

export class Progress {
  private step = '';
  private total: number | undefined;
  private done = 0;
  private started = 0;
  private shownAt = 0;
  private drawn = false;
  private ticker: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The progress `--progress` or a terminal on stderr asks for; null when neither does. */
  static forCommand(job: string, unit: string, flag: boolean, stderr: { isTTY?: boolean; write(s: string): unknown } = process.stderr): Progress | null {
    if (!flag && !stderr.isTTY) return null;
    return new Progress({ job, unit, redraw: stderr.isTTY === true, write: (s) => void stderr.write(s) });
  }

  /** Begin a step of the job (`uploading`, `applying on the hub`): counts and rate start again. */
  begin(step: string, total?: number): void {
    this.settle();
    this.step = step;
    this.total = total;
    this.done = 0;
    this.started = this.now();
    this.shownAt = this.started;
  }

  /** `done` items of the step are done; shown when it is time to. It reads the clock: loops call it every few thousand items. */
  update(done: number): void {
    this.done = done;
    const now = this.now();
    if (now - this.shownAt < (this.o.redraw ? REDRAW_MS : LINE_MS)) return;
    this.shownAt = now;
    this.show();
  }

  /** `done` of `step`: begins the step when it is a new one (a loop reporting several steps through one callback). */
  at(step: string, done: number, total?: number): void {
    if (step !== this.step) {
      if (this.step) this.end();
      this.begin(step, total);
    }
    this.update(done);
  }

  /** A step that waits on someone else (the hub applying an import): its time is shown until it ends. */
  waiting(step: string): void {
    this.begin(step);
    this.show();
    this.ticker = setInterval(() => this.show(), this.o.redraw ? REDRAW_MS : LINE_MS);
    this.ticker.unref();
  }

  /** The step's last line, then the next output starts on a line of its own. */
  end(): void {
    this.show();
    this.settle();
  }

  private show(): void {
    const line = formatProgress({ job: this.o.job, step: this.step, unit: this.o.unit, done: this.done, total: this.total, elapsedMs: this.now() - this.started });
    if (this.o.redraw) {
      this.o.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else this.o.write(`${line}\n`);
  }

  private settle(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.drawn) this.o.write('\n');
    this.drawn = false;
  }
}

const count = new Intl.NumberFormat('en-US');

/**
 * `dno import: uploading 600,000/1,000,000 lines (60%, 250,000 lines/s, 2.4 s)`; a step that counts nothing
 * (a wait) shows its time only: `dno import: applying on the hub (3.0 s)`.
 */
export function formatProgress(s: ProgressState): string {
  const seconds = s.elapsedMs / 1000;
  const what = [s.step];
  const tail: string[] = [];
  if (s.total !== undefined || s.done > 0) {
    what.push(`${count.format(s.done)}${s.total !== undefined ? `/${count.format(s.total)}` : ''} ${s.unit}`);
    if (s.total) tail.push(`${Math.floor((100 * s.done) / s.total)}%`);
    if (seconds > 0 && s.done > 0) tail.push(`${count.format(Math.round(s.done / seconds))} ${s.unit}/s`);
  }
  tail.push(`${seconds.toFixed(1)} s`);
  return `${s.job}: ${what.filter(Boolean).join(' ')} (${tail.join(', ')})`;
}

/** Lines in a text (the last one may lack its newline), without splitting it: a list may have millions. */
export function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n + (text.length > 0 && !text.endsWith('\n') ? 1 : 0);
}
