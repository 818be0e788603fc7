import { describe, expect, it } from 'vitest';
import { loadAgentConfig, loadHubConfig } from '../../config/load.js';
import { configErrorOf } from './tmp.js';

const base = { HOPTRACE_PROVIDER: 'acme', HOPTRACE_REDIS_URL: 'redis://127.0.0.1:6390' };

const HUB_KEY = '3q2Kx1Vh0gqvG8l7JY6m4Yf2cN9pTqj5wR0sXbLkE1A';

describe('environment variables', () => {
  it('numbers, booleans and numeric choices are read as the schema says', () => {
    const agent = loadAgentConfig({
      env: { ...base, HOPTRACE_CALLS__RETENTION_DAYS: '7', HOPTRACE_HUB__POLL_WAIT_SEC: ' 10 ', HOPTRACE_SIP__BLOCK__CODE: '608', HOPTRACE_SIP__CONTINUE__MODE: '503' },
    }).config;
    expect(agent.calls.retentionDays).toBe(7);
    expect(agent.hub.pollWaitSec).toBe(10);
    expect(agent.sip.block.code).toBe(608);
    expect(agent.sip.continue.mode).toBe('503');
    for (const [text, value] of [['true', true], ['yes', true], ['1', true], ['false', false], ['off', false], ['0', false]] as const) {
      const hub = loadHubConfig({ env: { HOPTRACE_DEADLINES__BUSINESS_HOURS: text, HOPTRACE_DEADLINES__AGENT_SEC: '2.5' } }).config;
      expect(hub.deadlines.businessHours, text).toBe(value);
      expect(hub.deadlines.agentSec).toBe(2.5);
    }
  });

  it('lists are comma-separated', () => {
    const { config, sources } = loadAgentConfig({ env: { ...base, HOPTRACE_SIP__LISTEN: 'udp:127.0.0.1:5060, tcp:[::1]:5060,', HOPTRACE_SIP__EMERGENCY: '911,112,999' } });
    expect(config.sip.listen).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '::1', port: 5060 },
    ]);
    expect(config.sip.emergency).toEqual(['911', '112', '999']);
    expect(sources['sip.listen']).toBe('env');
  });

  it('sections and lists of sections are JSON', () => {
    const { config, sources } = loadAgentConfig({
      env: {
        ...base,
        HOPTRACE_DRACHTIO: '{"host":"127.0.0.1","secret":"cymru"}',
        HOPTRACE_INGRESS__MAP: '[{"match":{"trunkGroup":"TG1"},"target":{"foreign":{"name":"Gateway"}}}]',
      },
    });
    expect(config.drachtio).toEqual({ host: '127.0.0.1', port: 9022, secret: 'cymru' });
    expect(config.ingress.map).toEqual([{ match: { trunkGroup: 'TG1' }, target: { foreign: { name: 'Gateway' } } }]);
    expect([sources['drachtio.host'], sources['drachtio.port']]).toEqual(['env', 'default']);
  });

  it('the short names DESIGN gives work like the long ones', () => {
    const { config, sources } = loadAgentConfig({
      env: { ...base, HOPTRACE_HUB_URL: 'https://hub.example.net', HOPTRACE_HUB_KEY: HUB_KEY, HOPTRACE_KEY_FILE: '/etc/hoptrace/agent.pem', HOPTRACE_HTTP: '0.0.0.0:9191', HOPTRACE_SIP: 'udp:0.0.0.0:5060', HOPTRACE_CDR: 'ribbon:/data/r,acme:/data/a' },
    });
    expect(config.provider).toBe('acme');
    expect(config.redis?.url).toBe('redis://127.0.0.1:6390');
    expect(config.hub.url).toBe('https://hub.example.net');
    expect(config.hub.publicKeys).toEqual([HUB_KEY]);
    expect(config.keys?.privateKeyFile).toBe('/etc/hoptrace/agent.pem');
    expect(config.http.listen).toEqual({ host: '0.0.0.0', port: 9191 });
    expect(config.cdr.map((c) => [c.format, c.dir])).toEqual([['ribbon', '/data/r'], ['acme', '/data/a']]);
    expect([sources['redis.url'], sources['hub.url'], sources['cdr']]).toEqual(['env', 'env', 'env']);
  });

  it('the long name wins over the short one for the same setting, with a warning', () => {
    const { config, warnings } = loadAgentConfig({ env: { ...base, HOPTRACE_REDIS__URL: 'redis://127.0.0.1:6391' } });
    expect(config.redis?.url).toBe('redis://127.0.0.1:6391');
    expect(warnings).toEqual(['ignoring HOPTRACE_REDIS_URL: HOPTRACE_REDIS__URL sets the same setting']);
  });

  it('an unknown HOPTRACE_ variable is a warning; the other program\'s short names are not', () => {
    const agent = loadAgentConfig({ env: { ...base, HOPTRACE_CALLS__RETENTION: '3', HOPTRACE_PROVIDERS: '/etc/p.yaml', PATH: '/bin' } });
    expect(agent.warnings).toEqual(['ignoring HOPTRACE_CALLS__RETENTION: there is no such setting']);
    const hub = loadHubConfig({ env: { ...base } });
    expect(hub.warnings).toEqual([]);
  });

  it('an empty variable counts as unset', () => {
    const { config, warnings } = loadAgentConfig({ env: { HOPTRACE_PROVIDER: 'acme', HOPTRACE_REDIS_URL: '' } });
    expect(config.redis).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('a value that is not of the setting\'s type names the variable', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: { ...base, HOPTRACE_CALLS__RETENTION_DAYS: 'ten', HOPTRACE_DEADLINES__BUSINESS_HOURS: 'maybe' } }));
    expect(err.message).toBe('config error at calls.retentionDays (from HOPTRACE_CALLS__RETENTION_DAYS): expected a number, got "ten"');
    const hub = configErrorOf(() => loadHubConfig({ env: { HOPTRACE_DEADLINES__BUSINESS_HOURS: 'maybe' } }));
    expect(hub.message).toBe('config error at deadlines.businessHours (from HOPTRACE_DEADLINES__BUSINESS_HOURS): expected true or false, got "maybe"');
  });

  it('a section variable that is not JSON names the variable', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: { ...base, HOPTRACE_INGRESS__MAP: '[{match:' } }));
    expect(err.message).toBe('config error at ingress.map (from HOPTRACE_INGRESS__MAP): expected JSON (this setting is a section or a list of sections)');
  });

  it('relative paths from variables are relative to the working directory', () => {
    const { config } = loadAgentConfig({ env: { ...base, HOPTRACE_DNO__CO_FILE: 'nanpa/co.txt' }, cwd: '/srv/site' });
    expect(config.dno.coFile).toBe('/srv/site/nanpa/co.txt');
  });

  it('loading reads the environment and changes nothing in it', () => {
    const env = { ...base, HOPTRACE_SIP__LISTEN: 'udp:127.0.0.1:5060' };
    const before = { ...env };
    loadAgentConfig({ env });
    expect(env).toEqual(before);
  });
});
