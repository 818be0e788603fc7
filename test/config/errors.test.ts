import { describe, expect, it } from 'vitest';
import { loadAgentConfig, loadHubConfig, loadIngressFile, loadProvidersFile } from '../../config/load.js';
import { configErrorOf, scratchDir } from './tmp.js';

const scratch = scratchDir();
let n = 0;
/** The issues (path, reason, source) of loading an agent file with `lines`. */
function agentIssues(...lines: string[]) {
  const file = scratch.write(`agent-${n++}.yaml`, lines.join('\n') + '\n');
  const err = configErrorOf(() => loadAgentConfig({ file, env: {} }));
  return { file, err, issues: err.issues.map((i) => [i.path, i.reason, i.source]) };
}

describe('a bad settings file is a ConfigError naming the setting, the reason and the file', () => {
  it('wrong type', () => {
    const { file, err, issues } = agentIssues('provider: acme', 'calls: { retentionDays: thirty, bucketSec: 1.5 }');
    expect(issues).toEqual([
      ['calls.retentionDays', 'expected a number, got "thirty"', file],
      ['calls.bucketSec', 'expected a whole number, got 1.5', file],
    ]);
    expect(err.message).toBe(
      `config error at calls.retentionDays (from ${file}): expected a number, got "thirty"\n` +
        `config error at calls.bucketSec (from ${file}): expected a whole number, got 1.5`,
    );
  });

  it('a list where a value belongs, and a value where a list belongs', () => {
    const { file, issues } = agentIssues('provider: [acme]', 'sip: { emergency: "911" }');
    expect(issues).toEqual([
      ['provider', 'expected a string, got a list', file],
      ['sip.emergency', 'expected a list, got "911"', file],
    ]);
  });

  it('unknown key, with the likely intended one', () => {
    const { file, issues } = agentIssues('provider: acme', 'sip: { lisen: [] }');
    expect(issues).toEqual([['sip.lisen', 'unknown key (did you mean listen?)', file]]);
  });

  it('unknown key, with the keys there are', () => {
    const { file, issues } = agentIssues('provider: acme', 'redis_url: redis://127.0.0.1:6380');
    expect(issues).toEqual([
      ['redis_url', 'unknown key (expected one of: provider, hub, keys, redis, sip, hep, drachtio, http, dno, cdr, ingress, calls, shutdown, log)', file],
    ]);
  });

  it('missing provider, with the ways to set it', () => {
    const { err } = agentIssues('sip: { listen: [] }');
    expect(err.message).toBe('config error at provider: required: set it in the file, with --provider or with HOPTRACE_PROVIDER');
    expect([err.path, err.source]).toEqual(['provider', undefined]);
  });

  it('missing field of an optional section', () => {
    const { file, issues } = agentIssues('provider: acme', 'drachtio: { host: 127.0.0.1 }');
    expect(issues).toEqual([['drachtio.secret', 'required', file]]);
  });

  it('bad CIDRs, IPv4 and IPv6', () => {
    const rule = (cidr: string) => `    - { match: { cidr: "${cidr}" }, target: { foreign: { name: Gateway } } }`;
    const cidrs = ['10.0.0.0/8', '2001:db8::/32', '10.0.0.0/33', '2001:db8::/129', '10.1.0.0/8', '2001:db8::1/32', 'bogus', '10.0.0.0/-1', '300.1.1.1/32', 'fe80::1%eth0/64'];
    const { file, issues } = agentIssues('provider: acme', 'ingress:', '  map:', ...cidrs.map(rule));
    expect(issues).toEqual([
      ['ingress.map[2].match.cidr', 'prefix length must be 0–32 for IPv4', file],
      ['ingress.map[3].match.cidr', 'prefix length must be 0–128 for IPv6', file],
      ['ingress.map[4].match.cidr', 'host bits set: the network is 10.0.0.0/8', file],
      ['ingress.map[5].match.cidr', 'host bits set: the network is 2001:db8::/32', file],
      ...[6, 8, 9].map((i) => [`ingress.map[${i}].match.cidr`, 'expected an IPv4 or IPv6 network like 10.0.0.0/8 or 2001:db8::/32', file]),
      ['ingress.map[7].match.cidr', 'prefix length must be 0–32 for IPv4', file],
    ].sort(([a], [b]) => String(a).localeCompare(String(b))));
  });

  it('an ingress rule with two match keys or no target', () => {
    const { file, issues } = agentIssues(
      'provider: acme',
      'ingress:',
      '  map:',
      '    - { match: { cidr: 10.0.0.0/8, realm: core }, target: { foreign: { name: Gateway } } }',
      '    - { match: { trunkGroup: TG1 }, target: {} }',
    );
    expect(issues).toEqual([
      ['ingress.map[0].match', 'exactly one of cidr, trunkGroup, realm', file],
      ['ingress.map[1].target', 'exactly one of upstream, customer, foreign', file],
    ]);
  });

  it('bad URLs', () => {
    const { file, issues } = agentIssues('provider: acme', 'hub: { url: "ftp://hub.example.net" }', 'redis: { url: "localhost:6379" }');
    expect(issues).toEqual([
      ['hub.url', 'expected an http:// or https:// URL', file],
      ['redis.url', 'expected a redis:// or rediss:// URL', file],
    ]);
  });

  it('a hub URL without the keys to sign answers and check queries', () => {
    const { file, issues } = agentIssues('provider: acme', 'hub: { url: "https://hub.example.net" }');
    expect(issues).toEqual([
      // Set nowhere, so no source is named.
      ['keys.privateKeyFile', 'required when hub.url is set (make one with `hoptrace-agent keygen`)', undefined],
      ['hub.publicKeys', "required when hub.url is set: the hub's public key, as `hoptrace-hub keygen` prints it", file],
    ]);
  });

  it('bad listen strings', () => {
    const { file, issues } = agentIssues(
      'provider: acme',
      'sip: { listen: ["sctp:0.0.0.0:5060", "udp:0.0.0.0", "udp:::1:5060", "udp:sbc.example.net:5060", "tcp:0.0.0.0:65536"] }',
      'hep: { listen: "sctp:0.0.0.0:9060" }',
      'http: { listen: 9091 }',
    );
    const sip = 'expected udp:HOST:PORT or tcp:HOST:PORT';
    expect(issues).toEqual([
      ['sip.listen[0]', sip, file],
      ['sip.listen[1]', sip, file],
      ['sip.listen[2]', `${sip}: an IPv6 host goes in brackets, e.g. [::1]:5060`, file],
      ['sip.listen[3]', `${sip}: host "sbc.example.net" is not an IP address`, file],
      ['sip.listen[4]', `${sip}: port "65536" is not 0–65535`, file],
      ['hep.listen', sip, file],
      ['http.listen', 'expected HOST:PORT, got 9091', file],
    ]);
  });

  it('bad IANA zones, abbreviations included', () => {
    const { file, issues } = agentIssues('provider: acme', 'cdr:', '  - { format: ribbon, dir: /data/a, zone: Mars/Olympus }', '  - { format: acme, dir: /data/b, zone: CST }');
    expect(issues).toEqual([
      ['cdr[0].zone', 'unknown IANA time zone "Mars/Olympus", e.g. America/Chicago', file],
      ['cdr[1].zone', '"CST" is an abbreviation, not an IANA time zone: use a name like America/Chicago', file],
    ]);
  });

  it('values outside a fixed set', () => {
    const { file, issues } = agentIssues('provider: acme', 'sip: { block: { code: 486 }, callingFrom: PAI }', 'cdr: [{ format: sbc9000, dir: /data }]');
    expect(issues).toEqual([
      ['sip.block.code', 'expected 603 or 608, got 486', file],
      ['sip.callingFrom', 'expected "pai" or "from", got "PAI"', file],
      ['cdr[0].format', expect.stringMatching(/^expected one of "ribbon", "acme", .*"generic", got "sbc9000"$/), file],
    ]);
  });

  it('bad YAML syntax, with line and column', () => {
    const { file, err } = agentIssues('provider: acme', 'sip:', '  listen: [udp:0.0.0.0:5060', 'hub: {}');
    expect(err.message).toBe(`config error at ${file}:4:1: bad YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`);
  });

  it('duplicate keys are a YAML error, not "last one wins"', () => {
    const { file, err } = agentIssues('provider: acme', 'provider: other');
    expect(err.message).toBe(`config error at ${file}:2:1: bad YAML: Map keys must be unique`);
  });

  it('a file that is not a mapping of settings', () => {
    const { file, err } = agentIssues('- provider: acme');
    expect(err.message).toBe(`config error at ${file}: expected a mapping of settings, got a list`);
  });

  it('lists every problem, not just the first', () => {
    const { issues } = agentIssues('hub: { mode: push2 }', 'calls: { retentionDays: 0 }', 'log: { level: verbose }');
    expect(issues.map(([path]) => path)).toEqual(['provider', 'hub.mode', 'calls.retentionDays', 'log.level']);
  });

  it('an empty file is all defaults', () => {
    const file = scratch.write('empty.yaml', '# nothing yet\n');
    expect(loadAgentConfig({ file, env: {}, flags: ['--provider', 'acme'] }).config.calls.retentionDays).toBe(30);
  });
});

describe('files that cannot be read', () => {
  it('a missing settings file', () => {
    const err = configErrorOf(() => loadAgentConfig({ file: `${scratch.dir}/absent.yaml`, env: {} }));
    expect(err.message).toBe(`config error at ${scratch.dir}/absent.yaml: cannot read the file: no such file`);
  });

  it('a directory given as the settings file', () => {
    const err = configErrorOf(() => loadHubConfig({ file: scratch.dir, env: {} }));
    expect(err.message).toBe(`config error at ${scratch.dir}: cannot read the file: it is a directory`);
  });

  it('a missing ingress file is blamed on the setting that names it', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: {}, flags: ['--provider', 'acme', '--ingress', 'absent.yaml'], cwd: scratch.dir }));
    expect(err.message).toBe(`config error at ingress.file (from --ingress): ${scratch.dir}/absent.yaml: cannot read the file: no such file`);
  });
});

describe('flags', () => {
  it('an unknown flag, with the flags there are', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: {}, flags: ['--provider', 'acme', '--frobnicate'] }));
    expect(err.message).toBe(
      'config error at --frobnicate: unknown flag (known flags: --config, --provider, --sip, --hep, --http, --redis, --dno-file, --cdr, --ingress, --hub, --hub-key, --key, --log-level, --stop-timeout)',
    );
  });

  it('the hub knows only its own flags', () => {
    const err = configErrorOf(() => loadHubConfig({ env: {}, flags: ['--sip', 'udp:0.0.0.0:5060'] }));
    expect(err.message).toBe('config error at --sip: unknown flag (known flags: --config, --http, --redis, --providers, --stop-timeout)');
  });

  it('a stray argument', () => {
    const err = configErrorOf(() => loadHubConfig({ env: {}, flags: ['serve'] }));
    expect([err.path, err.reason]).toEqual(['serve', 'unexpected argument (known flags: --config, --http, --redis, --providers, --stop-timeout)']);
  });

  it('a flag without its value', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: {}, flags: ['--provider', 'acme', '--sip'] }));
    expect(err.message).toBe('config error at --sip: missing value');
  });

  it('a bad flag value names the flag', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: {}, flags: ['--provider', 'acme', '--sip', 'udp:0.0.0.0:5060', '--sip', 'udp:0.0.0.0'] }));
    expect(err.message).toBe('config error at sip.listen[1] (from --sip): expected udp:HOST:PORT or tcp:HOST:PORT');
  });

  it('--cdr without FORMAT:DIR, and with an unknown format', () => {
    const err = configErrorOf(() => loadAgentConfig({ env: {}, flags: ['--provider', 'acme', '--cdr', '/var/log/cdr', '--cdr', 'sbc9000:/data'] }));
    expect(err.issues.map((i) => [i.path, i.reason, i.source])).toEqual([
      ['cdr[0]', 'expected FORMAT:DIR, e.g. ribbon:/var/log/sbc/cdr', '--cdr'],
      ['cdr[1].format', expect.stringMatching(/^expected one of "ribbon", "acme", .*, got "sbc9000"$/), '--cdr'],
    ]);
  });
});

describe('ingress and providers files', () => {
  it('an ingress file error names the file, the rule and the field', () => {
    const file = scratch.write(
      'ingress.yaml',
      [
        '- { match: { cidr: 192.0.2.0/24 }, target: { upstream: { name: Transit One } } }',
        '- { match: { trunkGroup: TG2 }, target: { customer: { account: A-1 } } }',
        '- { match: { realm: core }, target: { foreign: { name: Gateway } } }',
        '- { match: { cidr: 192.0.2.0/33 }, target: { upstream: { name: Transit Two, providerId: Transit2 } } }',
      ].join('\n'),
    );
    const err = configErrorOf(() => loadIngressFile(file));
    expect(err.issues).toEqual([
      { path: 'ingress.yaml[3].match.cidr', reason: 'prefix length must be 0–32 for IPv4', source: file },
      { path: 'ingress.yaml[3].target.upstream.providerId', reason: 'lower-case letters, digits, . _ - (max 64)', source: file },
    ]);
  });

  it('an agent whose ingress file is bad does not load', () => {
    const ingress = scratch.write('bad-ingress.yaml', '- { match: { cidr: 10.0.0.0/8 } }\n');
    const err = configErrorOf(() => loadAgentConfig({ env: { HOPTRACE_PROVIDER: 'acme', HOPTRACE_INGRESS: ingress } }));
    expect(err.message).toBe(`config error at bad-ingress.yaml[0].target (from ${ingress}): required`);
  });

  it('an ingress file must be a list', () => {
    const file = scratch.write('map.yaml', 'rules: []\n');
    expect(configErrorOf(() => loadIngressFile(file)).message).toBe(`config error at map.yaml (from ${file}): expected a list, got a mapping`);
  });

  it('a providers file with a bad key, an unknown field and a duplicate id', () => {
    const file = scratch.write(
      'providers.yaml',
      [
        '- { id: acme, name: Acme }',
        '- { id: beta, name: Beta, keys: [{ kid: k1, publicKey: not-a-key }] }',
        '- { id: gamma, name: Gamma, reach: agent-pul }',
        '- { id: delta, name: Delta, webhook: "https://x.example" }',
      ].join('\n'),
    );
    const err = configErrorOf(() => loadProvidersFile(file));
    expect(err.issues.map((i) => [i.path, i.reason])).toEqual([
      ['providers.yaml[1].keys[0].publicKey', 'base64url of a raw 32-byte Ed25519 key'],
      ['providers.yaml[2].reach', 'expected one of "agent-pull", "agent-push", "manual", got "agent-pul"'],
      ['providers.yaml[3].webhook', expect.stringMatching(/^unknown key \(expected one of: id, name, /)],
    ]);
    const dup = scratch.write('dup.yaml', '- { id: acme, name: Acme }\n- { id: beta, name: Beta }\n- { id: acme, name: Acme 2 }\n');
    expect(configErrorOf(() => loadProvidersFile(dup)).message).toBe(
      `config error at dup.yaml[2].id (from ${dup}): duplicate provider id "acme" (also at [0])`,
    );
  });

  it('a hub whose providers file is bad does not load', () => {
    const providers = scratch.write('bad-providers.yaml', '- { id: Acme, name: Acme }\n');
    const err = configErrorOf(() => loadHubConfig({ env: {}, flags: ['--providers', providers] }));
    expect(err.issues).toEqual([{ path: 'bad-providers.yaml[0].id', reason: 'lower-case letters, digits, . _ - (max 64)', source: providers }]);
  });
});
