/**
 * Agent settings that guard what leaves or enters the agent: an http:// hub URL off this machine is refused at
 * load unless allowed, allow-lists must name a network, and the HEP auth key never reaches `check` or a log.
 * `check` runs as its own process, as an operator runs it.
 */
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../config/load.js';
import { createLogger } from '../../config/log.js';
import { runCli } from '../helpers/proc.js';
import { configErrorOf, scratchDir } from './tmp.js';

const scratch = scratchDir();
const HUB_KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
let n = 0;
const agentFile = (...lines: string[]) => scratch.write(`agent-${n++}.yaml`, ['provider: acme', ...lines].join('\n') + '\n');
const withHub = (url: string, extra = '') => agentFile(`hub: { url: "${url}", publicKeys: [${HUB_KEY}]${extra} }`, 'keys: { privateKeyFile: /etc/hoptrace/agent.pem }');

async function agentCli(args: string[]): Promise<{ code: number | null; out: string }> {
  const p = runCli('agent/cli.ts', args);
  const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
  return { code, out: p.lines.join('\n') };
}

describe('hub.url over plain HTTP', () => {
  it('is refused to a non-loopback host, naming hub.url and the way out', () => {
    const file = withHub('http://hub.example.net:8080');
    const err = configErrorOf(() => loadAgentConfig({ file, env: {} }));
    expect(err.issues.map((i) => [i.path, i.reason, i.source])).toEqual([
      ['hub.url', 'plain http:// to hub.example.net would send call details in clear: use https://, or set hub.allowInsecureHttp: true', file],
    ]);
    expect(configErrorOf(() => loadAgentConfig({ file: withHub('http://10.0.0.5'), env: {} })).issues[0]?.path).toBe('hub.url');
  });

  it('is taken with hub.allowInsecureHttp, to a loopback host, and https:// always', () => {
    expect(loadAgentConfig({ file: withHub('http://hub.example.net', ', allowInsecureHttp: true'), env: {} }).config.hub.url).toBe('http://hub.example.net');
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'https://hub.example.net']) {
      expect(loadAgentConfig({ file: withHub(url), env: {} }).config.hub.allowInsecureHttp).toBe(false);
    }
  });

  it('fails `hoptrace-agent check` with exit 2 and the reason, printing no settings', async () => {
    const r = await agentCli(['check', '--config', withHub('http://hub.example.net')]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('config error at hub.url');
    expect(r.out).toContain('would send call details in clear');
    expect(r.out).not.toContain('provider: acme');
  }, 60_000);
});

describe('allow-lists and the HEP auth key', () => {
  it('refuses an empty allow-list and a bad network, naming the setting', () => {
    const file = agentFile('sip: { allowFrom: [] }', 'hep: { allowFrom: [10.0.0.1/8] }');
    expect(configErrorOf(() => loadAgentConfig({ file, env: {} })).issues.map((i) => [i.path, i.reason])).toEqual([
      ['sip.allowFrom', 'list at least one network; leave the setting out to take every source'],
      ['hep.allowFrom[0]', 'host bits set: the network is 10.0.0.0/8'],
    ]);
  });

  it('`check` prints the lists canonical and the auth key masked; a log line redacts it', async () => {
    const file = agentFile('sip: { allowFrom: ["2001:DB8::/32"] }', 'hep: { listen: "udp:127.0.0.1:9060", allowFrom: [192.0.2.0/24], authKey: "capture-s3cret", tcp: { maxConnections: 64 } }');
    const r = await agentCli(['check', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('authKey: "***"');
    expect(r.out).toContain('- 2001:db8::/32');
    expect(r.out).toContain('maxConnections: 64');
    expect(r.out).not.toContain('capture-s3cret');

    const lines: string[] = [];
    createLogger('t', 'info', { write: (l: string) => void lines.push(l) }).info({ hep: loadAgentConfig({ file, env: {} }).config.hep }, 'settings');
    expect(lines.join('')).toContain('"authKey":"[redacted]"');
    expect(lines.join('')).not.toContain('capture-s3cret');
  }, 60_000);
});
