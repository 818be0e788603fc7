/**
 * The buffered, asynchronously written log (config/log.ts): redaction through it, the flush on the stop path
 * (config/shutdown.ts) and on an uncaught exception, and a real agent whose last lines before SIGTERM reach
 * stdout.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bufferedDestination, createLogger, flushLog } from '../../config/log.js';
import { stopWithin } from '../../config/shutdown.js';
import { runCli } from '../helpers/proc.js';
import { statusOf, udpClient } from '../agent/sip/policy-harness.js';
import { baseWith, sip } from '../agent/sip/messages.js';
import { scratchDir } from './tmp.js';

const scratch = scratchDir();
const ROOT = resolve(import.meta.dirname, '../..');
const LIST = fileURLToPath(new URL('../fixtures/dno/list-sample.csv', import.meta.url));

const read = (path: string) => readFileSync(path, 'utf8');
const linesOf = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the buffered log destination', () => {
  it('holds lines until flushed, and writes them with secrets redacted', async () => {
    const path = join(scratch.dir, 'redact.log');
    const log = createLogger('test', 'info', bufferedDestination(path));
    log.info({ password: 'hunter2', hub: { token: 'tok-123' }, headers: { authorization: 'Bearer abc' }, caller: '+12025550100' }, 'hello');
    await new Promise((r) => setImmediate(r));
    expect(read(path)).toBe('');
    await flushLog(log);
    const [line] = linesOf(read(path));
    expect(line).toMatchObject({ msg: 'hello', password: '[redacted]', hub: { token: '[redacted]' }, headers: { authorization: '[redacted]' }, caller: '+12025550100' });
    expect(read(path)).not.toMatch(/hunter2|tok-123|Bearer abc/);
  });

  it('is written out by the stop path before the program exits', async () => {
    const path = join(scratch.dir, 'stop.log');
    const log = createLogger('test', 'info', bufferedDestination(path));
    let atExit = '';
    const code = await stopWithin({ log, stop: async () => log.info('last work done'), timeoutSec: 1, exit: () => (atExit = read(path)) }, 'SIGTERM');
    expect(code).toBe(0);
    expect(linesOf(atExit).map((l) => l.msg)).toEqual(['stopping: finishing the work under way', 'last work done', 'stopped']);
  });

  it('is written out, with the error, when the program dies of an uncaught exception', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/config/log-crash.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const code = await new Promise((r) => child.once('close', r));
    expect(code).toBe(1);
    const lines = linesOf(out);
    expect(lines.map((l) => l.msg)).toEqual(['line before the crash', 'line before the crash', 'line before the crash', 'fatal: uncaught exception']);
    expect(lines[3]).toMatchObject({ level: 60, err: { message: 'deliberate crash' }, origin: 'uncaughtException' });
  });
});

describe('a real agent stopped by SIGTERM', () => {
  it('writes the DNO block lines it logged just before the signal, then its stop lines', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const port = socket.address().port;
    await new Promise<void>((r) => socket.close(() => r()));
    const agent = runCli('agent/cli.ts', ['--provider', 'log-flush', '--sip', `udp:127.0.0.1:${port}`, '--dno-file', LIST, '--http', '127.0.0.1:0']);
    const closed = new Promise((r) => agent.child.once('close', r));
    const client = await udpClient();
    try {
      await agent.waitFor(/agent started/, 30_000);
      const calls = 8;
      for (let i = 0; i < calls; i++) {
        const callId = `flush-${i}`;
        client.send(
          sip([
            'INVITE sip:+13125550117@127.0.0.1;user=phone SIP/2.0',
            ...baseWith('from', '').filter((h) => h && !/^(CSeq|Call-ID)/.test(h)),
            'From: <sip:+12025550100@198.51.100.7;user=phone>;tag=lf',
            `Call-ID: ${callId}`,
            'CSeq: 1 INVITE',
            'Content-Length: 0',
          ]),
          port,
        );
        expect(statusOf(await client.next(5_000))).toBe(603);
      }
      // The answers are out; the block lines are logged right after each and may still sit in the buffer.
      expect(await agent.kill('SIGTERM')).toBe(0);
      await closed;
      // proc.ts splits each read at newlines; a line cut between two reads is whole again once joined.
      const out = agent.lines.join('');
      expect(out.match(/"msg":"DNO block"/g)?.length).toBe(calls);
      for (let i = 0; i < calls; i++) expect(out).toContain(`"callId":"flush-${i}"`);
      expect(out).toMatch(/"msg":"stopped"/);
    } finally {
      await client.close();
      await agent.kill('SIGKILL');
    }
  }, 60_000);
});
