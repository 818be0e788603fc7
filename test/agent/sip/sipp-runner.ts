/**
 * Runs sipp (Debian sip-tester) with the policy UAC scenario of test/fixtures/sipp against a server on loopback,
 * bounded by -m and -timeout, and reads its per-message counts (-trace_counts) and, if asked, every response
 * time (-trace_rtt). Used by the sipp tests and bench/sip-policy.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP = '/usr/bin/sipp';
export const POLICY_UAC = fileURLToPath(new URL('../../fixtures/sipp/policy-uac.xml', import.meta.url));

export interface SippRun {
  port: number;
  transport: 'udp' | 'tcp';
  /** `calling;called` lines of the -inf file, used in order and cycled. */
  calls: readonly string[];
  /** Calls to place (-m). */
  total: number;
  /** Calls per second (-r). */
  rate: number;
  /** Whole run bound (-timeout), seconds. */
  timeoutSec?: number;
  /** Write every response time (-trace_rtt, -rtt_freq 1000). */
  rtt?: boolean;
}

export interface SippResult {
  /** 0: every call succeeded; 1: some failed; other: sipp could not run. */
  exitCode: number | null;
  /** Final -trace_counts row by column: `2_302_Recv`, `0_INVITE_Retrans`, … */
  counts: Record<string, number>;
  /** Responses received per status, summed over the scenario's recv lines. */
  received: Record<number, number>;
  invites: number;
  /** Calls that got no final answer the scenario expects (302, 404, 503, 608, 603). */
  failed: number;
  retransmissions: number;
  /** Response times in ms when `rtt` was asked. */
  rttMs: number[];
  output: string;
}

export async function runSipp(o: SippRun): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-sipp-'));
  try {
    writeFileSync(join(dir, 'calls.csv'), ['SEQUENTIAL', ...o.calls, ''].join('\n'));
    const timeoutSec = o.timeoutSec ?? 60;
    const args = [
      `127.0.0.1:${o.port}`,
      '-sf', POLICY_UAC,
      '-inf', join(dir, 'calls.csv'),
      '-i', '127.0.0.1',
      '-p', '0',
      '-t', o.transport === 'udp' ? 'u1' : 't1',
      '-r', String(o.rate),
      '-m', String(o.total),
      '-l', String(Math.max(o.rate, 100)),
      '-recv_timeout', '5000',
      '-timeout', `${timeoutSec}s`,
      '-nostdin',
      // sipp's own socket buffer (64 KiB by default) drops answers while sipp is descheduled on a busy host.
      '-buff_size', String(4 * 1024 * 1024),
      '-trace_counts',
      '-trace_err',
      ...(o.rtt ? ['-trace_rtt', '-rtt_freq', '1000'] : []),
    ];
    const child = spawn(SIPP, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString('latin1')).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString('latin1')).slice(-20_000)));
    // sipp's own -timeout bounds the run; this only guards against sipp hanging past it.
    const guard = setTimeout(() => child.kill('SIGKILL'), (timeoutSec + 15) * 1000);
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    clearTimeout(guard);
    const files = readdirSync(dir);
    const counts = lastRow(files.find((f) => f.endsWith('_counts.csv')), dir);
    const rttFile = files.find((f) => f.endsWith('_rtt.csv'));
    const received: Record<number, number> = {};
    for (const [column, value] of Object.entries(counts)) {
      const m = /^[0-9]+_([0-9]{3})_Recv$/.exec(column);
      if (m) received[Number(m[1])] = (received[Number(m[1])] ?? 0) + value;
    }
    const invites = counts['0_INVITE_Sent'] ?? 0;
    const finals = [302, 404, 503, 608, 603].reduce((sum, status) => sum + (received[status] ?? 0), 0);
    return {
      exitCode,
      counts,
      received,
      invites,
      failed: invites - finals,
      retransmissions: counts['0_INVITE_Retrans'] ?? 0,
      rttMs: rttFile ? rttsOf(readFileSync(join(dir, rttFile), 'latin1')) : [],
      output,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The last row of a sipp `;` CSV, by header column (the first columns are times, not numbers: skipped). */
function lastRow(file: string | undefined, dir: string): Record<string, number> {
  if (!file) return {};
  const lines = readFileSync(join(dir, file), 'latin1').trim().split('\n');
  const header = (lines[0] ?? '').split(';');
  const values = (lines[lines.length - 1] ?? '').split(';');
  const row: Record<string, number> = {};
  header.forEach((name, i) => {
    const value = Number(values[i]);
    if (name && Number.isFinite(value)) row[name] = value;
  });
  return row;
}

/** -trace_rtt rows: `date time epoch;rtt_ms;rtd_no`. */
function rttsOf(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const value = Number(line.split(';')[1]);
    if (line && Number.isFinite(value)) out.push(value);
  }
  return out;
}
