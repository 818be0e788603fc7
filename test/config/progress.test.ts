/**
 * Progress of long command-line jobs (config/progress.ts): what a line says, a line a second with --progress,
 * one redrawn line on a terminal, nothing otherwise.
 */
import { describe, expect, it } from 'vitest';
import { countLines, formatProgress, Progress } from '../../config/progress.js';

describe('formatProgress', () => {
  it.each([
    [{ step: 'uploading', done: 600_000, total: 1_000_000, elapsedMs: 2400 }, 'dno import: uploading 600,000/1,000,000 lines (60%, 250,000 lines/s, 2.4 s)'],
    [{ step: 'reading', done: 0, total: 10, elapsedMs: 0 }, 'dno import: reading 0/10 lines (0%, 0.0 s)'],
    [{ step: 'reading', done: 5000, total: undefined, elapsedMs: 1000 }, 'dno import: reading 5,000 lines (5,000 lines/s, 1.0 s)'],
    [{ step: 'applying on the hub', done: 0, total: undefined, elapsedMs: 3000 }, 'dno import: applying on the hub (3.0 s)'],
  ])('%o', (s, line) => {
    expect(formatProgress({ job: 'dno import', unit: 'lines', ...s })).toBe(line);
  });
});

describe('Progress', () => {
  function clocked(redraw: boolean) {
    let now = 0;
    const out: string[] = [];
    const p = new Progress({ job: 'job', unit: 'items', redraw, write: (s) => out.push(s), now: () => now });
    return { p, out, advance: (ms: number) => (now += ms) };
  }

  it('with --progress prints a line a second and the last state of each step', () => {
    const { p, out, advance } = clocked(false);
    p.begin('reading', 100);
    for (let done = 10; done <= 100; done += 10) {
      advance(300);
      p.update(done);
    }
    p.at('writing', 0);
    advance(500);
    p.end();
    expect(out).toEqual([
      'job: reading 40/100 items (40%, 33 items/s, 1.2 s)\n',
      'job: reading 80/100 items (80%, 33 items/s, 2.4 s)\n',
      'job: reading 100/100 items (100%, 33 items/s, 3.0 s)\n',
      'job: writing (0.5 s)\n',
    ]);
  });

  it('on a terminal redraws one line in place and ends it with a newline', () => {
    const { p, out, advance } = clocked(true);
    p.begin('sending', 2);
    advance(150);
    p.update(1);
    advance(150);
    p.update(2);
    p.end();
    expect(out).toEqual(['\rjob: sending 1/2 items (50%, 7 items/s, 0.1 s)\x1b[K', '\rjob: sending 2/2 items (100%, 7 items/s, 0.3 s)\x1b[K', '\rjob: sending 2/2 items (100%, 7 items/s, 0.3 s)\x1b[K', '\n']);
  });

  it('is off unless --progress is given or stderr is a terminal', () => {
    const sink = { write: () => true };
    expect(Progress.forCommand('job', 'items', false, { ...sink, isTTY: false })).toBeNull();
    expect(Progress.forCommand('job', 'items', true, { ...sink, isTTY: false })).toBeInstanceOf(Progress);
    expect(Progress.forCommand('job', 'items', false, { ...sink, isTTY: true })).toBeInstanceOf(Progress);
  });
});

describe('countLines', () => {
  it.each([['', 0], ['a', 1], ['a\n', 1], ['a\nb', 2], ['a\nb\n\n', 3]])('%j has %i line(s)', (text, n) => {
    expect(countLines(text)).toBe(n);
  });
});
