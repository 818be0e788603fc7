/**
 * The way down both programs share (config/shutdown.ts): the stop deadline, a failing stop, draining an HTTP
 * server, and the `--stop-timeout` setting.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig, loadHubConfig } from '../../config/load.js';
import { createLogger } from '../../config/log.js';
import { drainHttp, stopWithin } from '../../config/shutdown.js';

function capture() {
  const lines: { msg: string; level: number; [k: string]: unknown }[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString('utf8'))), done()) });
  return { log: createLogger('test', 'info', sink), lines };
}

describe('stopWithin', () => {
  it('exits 0 once every part stopped', async () => {
    const { log, lines } = capture();
    const codes: number[] = [];
    expect(await stopWithin({ log, stop: async () => {}, timeoutSec: 1, exit: (c) => codes.push(c) }, 'SIGTERM')).toBe(0);
    expect(codes).toEqual([0]);
    expect(lines.map((l) => l.msg)).toEqual(['stopping: finishing the work under way', 'stopped']);
  });

  it('exits 1 with a log line when the stop outlives its deadline', async () => {
    const { log, lines } = capture();
    const codes: number[] = [];
    const started = Date.now();
    const code = await stopWithin({ log, stop: () => new Promise<void>(() => {}), timeoutSec: 0.2, exit: (c) => codes.push(c) }, 'SIGTERM');
    expect(code).toBe(1);
    expect(codes).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(lines.at(-1)).toMatchObject({ level: 50, timeoutSec: 0.2, msg: 'stop deadline passed with work still under way: exiting' });
  });

  it('logs a failing stop instead of throwing it, and exits 1', async () => {
    const { log, lines } = capture();
    const code = await stopWithin({ log, stop: () => Promise.reject(new Error('redis went away')), timeoutSec: 1, exit: () => {} }, 'SIGINT');
    expect(code).toBe(1);
    expect(lines.find((l) => l.msg === 'stop failed')).toMatchObject({ err: { message: 'redis went away' } });
  });
});

describe('drainHttp', () => {
  async function serverHolding(ms: number) {
    const server = http.createServer((_req, res) => void setTimeout(() => res.end('done'), ms));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
  }

  it('lets a request under way finish, then resolves', async () => {
    const { server, url } = await serverHolding(200);
    const reply = fetch(url).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    await drainHttp(server, 5_000);
    expect(await reply).toBe('done');
    expect(server.listening).toBe(false);
  });

  it('cuts a request that outlives the grace', async () => {
    const { server, url } = await serverHolding(10_000);
    const reply = fetch(url).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await drainHttp(server, 200);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(reply).rejects.toThrow();
  });
});

describe('shutdown.timeoutSec', () => {
  it('is 10 s by default and set by --stop-timeout or HOPTRACE_STOP_TIMEOUT for either program', () => {
    expect(loadAgentConfig({ flags: ['--provider', 'site-a'], env: {} }).config.shutdown.timeoutSec).toBe(10);
    expect(loadAgentConfig({ flags: ['--provider', 'site-a', '--stop-timeout', '25'], env: {} }).config.shutdown.timeoutSec).toBe(25);
    expect(loadHubConfig({ flags: [], env: { HOPTRACE_STOP_TIMEOUT: '3.5' } }).config.shutdown.timeoutSec).toBe(3.5);
  });

  it('refuses a value that is not a number of seconds, naming the setting', () => {
    expect(() => loadHubConfig({ flags: ['--stop-timeout', 'soon'], env: {} })).toThrow(ConfigError);
    expect(() => loadHubConfig({ flags: ['--stop-timeout', 'soon'], env: {} })).toThrow(/shutdown\.timeoutSec.*expected seconds, got "soon"/);
    expect(() => loadHubConfig({ flags: ['--stop-timeout', '0'], env: {} })).toThrow(/shutdown\.timeoutSec/);
  });
});
