import { describe, expect, it } from 'vitest';
import { loadAgentConfig, loadHubConfig } from '../../config/load.js';
import { scratchDir } from './tmp.js';

const scratch = scratchDir();
const file = scratch.write(
  'agent.yaml',
  ['provider: from-file', 'http:', '  listen: 127.0.0.1:7001', 'sip:', '  listen: [udp:127.0.0.1:7002]', 'redis:', '  url: redis://127.0.0.1:7003', 'log:', '  level: debug'].join('\n'),
);

const HUB_KEY = '3q2Kx1Vh0gqvG8l7JY6m4Yf2cN9pTqj5wR0sXbLkE1A';

describe('precedence: flag > env > file > default', () => {
  const env = { HOPTRACE_PROVIDER: 'from-env', HOPTRACE_HTTP: '127.0.0.1:8001', HOPTRACE_LOG__LEVEL: 'warn' };
  const flags = ['--provider', 'from-flag', '--config', file];
  const { config, sources } = loadAgentConfig({ env, flags });

  it('a flag wins over the environment and the file', () => {
    expect(config.provider).toBe('from-flag');
    expect(sources['provider']).toBe('flag');
  });

  it('the environment wins over the file', () => {
    expect(config.http.listen).toEqual({ host: '127.0.0.1', port: 8001 });
    expect(config.log.level).toBe('warn');
    expect(sources['http.listen']).toBe('env');
    expect(sources['log.level']).toBe('env');
  });

  it('the file wins over defaults', () => {
    expect(config.sip.listen).toEqual([{ transport: 'udp', host: '127.0.0.1', port: 7002 }]);
    expect(config.redis?.url).toBe('redis://127.0.0.1:7003');
    expect(sources['sip.listen']).toBe('file');
    expect(sources['redis.url']).toBe('file');
  });

  it('what nobody set is a default, and absent optional settings have no source', () => {
    expect(config.calls.retentionDays).toBe(30);
    expect(sources['calls.retentionDays']).toBe('default');
    expect(config.sip.block).toEqual({ code: 603, reasonText: 'Call Rejected' });
    expect(sources).not.toHaveProperty('hub.url');
    expect(sources).not.toHaveProperty('drachtio.host');
  });

  it('a repeated flag replaces the file\'s list whole', () => {
    const loaded = loadAgentConfig({ file, env: {}, flags: ['--sip', 'udp:127.0.0.1:9001', '--sip', 'tcp:[::1]:9002'] });
    expect(loaded.config.sip.listen).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 9001 },
      { transport: 'tcp', host: '::1', port: 9002 },
    ]);
  });

  it('--config wins over the file option, which wins over HOPTRACE_CONFIG', () => {
    const other = scratch.write('other.yaml', 'provider: other-file\n');
    const viaEnv = loadAgentConfig({ env: { HOPTRACE_CONFIG: other } });
    expect(viaEnv.config.provider).toBe('other-file');
    expect(loadAgentConfig({ file, env: { HOPTRACE_CONFIG: other } }).config.provider).toBe('from-file');
    expect(loadAgentConfig({ file: other, env: {}, flags: ['--config', file] }).config.provider).toBe('from-file');
  });
});

describe('starting with no file at all', () => {
  it('an agent runs from flags alone', () => {
    const ingress = scratch.write('ingress.yaml', '- { match: { cidr: 192.0.2.0/24 }, target: { upstream: { name: Transit One } } }\n');
    const flags = [
      ...['--provider', 'acme', '--sip', 'udp:0.0.0.0:5060', '--sip', 'tcp:0.0.0.0:5060', '--hep', 'udp:0.0.0.0:9060'],
      ...['--http', '0.0.0.0:9091', '--redis', 'redis://10.0.0.5:6379', '--dno-file', '/data/dno.csv'],
      ...['--cdr', 'ribbon:/data/ribbon', '--cdr', 'kamailio:/data/acc', '--ingress', ingress],
      ...['--hub', 'https://hub.example.net', '--hub-key', HUB_KEY, '--key', '/etc/hoptrace/agent.pem', '--log-level', 'debug'],
    ];
    const { config, sources, warnings } = loadAgentConfig({ env: {}, flags, cwd: '/' });
    expect(warnings).toEqual([]);
    expect(config.hep.listen).toEqual({ transport: 'udp', host: '0.0.0.0', port: 9060 });
    expect(config.cdr).toEqual([
      { format: 'ribbon', dir: '/data/ribbon', zone: 'UTC', options: {} },
      { format: 'kamailio', dir: '/data/acc', zone: 'UTC', options: {} },
    ]);
    expect(config.hub.url).toBe('https://hub.example.net');
    expect(config.dno.file).toBe('/data/dno.csv');
    expect(config.log.level).toBe('debug');
    for (const path of ['provider', 'sip.listen', 'hep.listen', 'http.listen', 'redis.url', 'dno.file', 'cdr', 'ingress.file', 'hub.url', 'hub.publicKeys', 'keys.privateKeyFile', 'log.level']) {
      expect(sources[path], path).toBe('flag');
    }
  });

  it('relative paths from flags are relative to the working directory', () => {
    const { config } = loadAgentConfig({ env: {}, flags: ['--provider', 'acme', '--dno-file', 'lists/dno.csv', '--cdr', 'acme:cdr'], cwd: '/srv/site' });
    expect(config.dno.file).toBe('/srv/site/lists/dno.csv');
    expect(config.cdr[0]?.dir).toBe('/srv/site/cdr');
  });

  it('a hub serves from flags alone', () => {
    const providers = scratch.write('providers.yaml', '- { id: acme, name: Acme Telecom }\n');
    const { config, sources } = loadHubConfig({ env: {}, flags: ['--http', '0.0.0.0:8080', '--redis', 'redis://10.0.0.5:6379', '--providers', providers] });
    expect(config).toMatchObject({ http: { listen: { host: '0.0.0.0', port: 8080 } }, redis: { url: 'redis://10.0.0.5:6379' }, providersFile: providers });
    expect([sources['http.listen'], sources['redis.url'], sources['providersFile']]).toEqual(['flag', 'flag', 'flag']);
  });
});

describe('the embedded store', () => {
  it('an agent without a Redis URL is warned that nothing survives a restart', () => {
    const { config, warnings } = loadAgentConfig({ env: {}, flags: ['--provider', 'acme'] });
    expect(config.redis).toBeUndefined();
    expect(warnings).toEqual([
      'no redis.url: using the embedded in-process store, which keeps nothing across restarts (the call index, the DNO cache and CDR checkpoints)',
    ]);
  });

  it('a hub without a Redis URL gets the same warning about its own state', () => {
    const { warnings } = loadHubConfig({ env: {} });
    expect(warnings).toEqual([
      'no redis.url: using the embedded in-process store, which keeps nothing across restarts (cases, hops, providers and the DNO master list)',
    ]);
  });
});
