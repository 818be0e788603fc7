/**
 * Bearer tokens come from the tokens file alone (hub/tokens.ts): a line deleted by hand or by `hoptrace-hub token
 * revoke` is refused from the next request on, by a running hub process, without a restart; a token record an
 * older hub left in Redis is not a way in; an unusable file refuses every token until it is fixed.
 */
import { mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ConfigError } from '../../config/errors.js';
import { hashToken, newToken } from '../../hub/auth.js';
import { RedisHubStore } from '../../hub/store/redis-store.js';
import { revokeInFile, TokenBook, TokenFileError } from '../../hub/tokens.js';
import { type Proc, runCli } from '../helpers/proc.js';
import { freePort, type RedisServer, startRedis } from '../helpers/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'hoptrace-tokens-'));
const tokens = { alice: newToken(), bob: newToken(), carol: newToken(), old: newToken() };
const line = (id: keyof typeof tokens, roles = 'trace:read') => `- { id: ${id}, roles: [${roles}], sha256: ${hashToken(tokens[id])} }`;

function tokensFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('TokenBook: the tokens file as it is now', () => {
  const logged: { msg: string; why?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void logged.push(JSON.parse(l) as { msg: string }) });

  it('answers from the file, and forgets a line the moment it is deleted', async () => {
    const file = tokensFile('book.yaml', ['# people', line('alice'), line('bob', 'admin')]);
    const book = new TokenBook(file, log);
    expect(await book.getToken(hashToken(tokens.alice))).toMatchObject({ id: 'alice', roles: ['trace:read'] });
    writeFileSync(file, `${line('bob', 'admin')}\n`);
    expect(await book.getToken(hashToken(tokens.alice))).toBeUndefined();
    expect(await book.getToken(hashToken(tokens.bob))).toMatchObject({ id: 'bob', roles: ['admin'] });
  });

  it('fails the start on a missing or invalid file, naming the bad field', () => {
    expect(() => new TokenBook(join(dir, 'none.yaml'), log)).toThrow(/none\.yaml: cannot read the file/);
    const bad = tokensFile('start.yaml', ['- { id: bob, roles: [root], sha256: nothex }']);
    expect(() => new TokenBook(bad, log)).toThrow(ConfigError);
    expect(() => new TokenBook(bad, log)).toThrow(/start\.yaml\[0\]\.roles/);
  });

  it('refuses every token while the file is invalid or missing, says why in the log, and recovers when it is fixed', async () => {
    const file = tokensFile('broken.yaml', [line('alice')]);
    const book = new TokenBook(file, log);
    writeFileSync(file, `${line('alice')}\n- { id: bob, roles: [root], sha256: nothex }\n`);
    expect(await book.getToken(hashToken(tokens.alice))).toBeUndefined();
    expect(logged.filter((l) => l.msg.startsWith('tokens file unusable')).at(-1)?.why).toContain('broken.yaml[1].roles');
    unlinkSync(file);
    expect(await book.getToken(hashToken(tokens.alice))).toBeUndefined();
    expect(logged.at(-1)).toMatchObject({ msg: 'tokens file unusable: every bearer token is refused until it is fixed', why: 'the tokens file is missing' });
    tokensFile('broken.yaml', [line('alice')]);
    expect(await book.getToken(hashToken(tokens.alice))).toMatchObject({ id: 'alice' });
  });
});

describe('revokeInFile', () => {
  it('deletes every line of the id and keeps the rest of the file, comments included', () => {
    const file = tokensFile('revoke.yaml', ['# ops team, see runbook', line('alice'), line('bob'), '# alice rotated in November', line('alice', 'admin')]);
    expect(revokeInFile(file, 'alice')).toBe(2);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# ops team, see runbook');
    expect(text).not.toContain(hashToken(tokens.alice));
    expect(YAML.parse(text)).toEqual([{ id: 'bob', roles: ['trace:read'], sha256: hashToken(tokens.bob) }]);
  });

  it('cuts a block-style entry whole, and rewrites a JSON list without the entry', () => {
    const block = tokensFile('block.yaml', ['- id: alice', '  roles:', '    - admin', `  sha256: ${hashToken(tokens.alice)}  # laptop`, '', line('bob')]);
    expect(revokeInFile(block, 'alice')).toBe(1);
    expect(readFileSync(block, 'utf8')).toBe(`\n${line('bob')}\n`);
    const json = join(dir, 'tokens.json');
    const entry = (id: keyof typeof tokens) => ({ id, roles: ['admin'], sha256: hashToken(tokens[id]) });
    writeFileSync(json, JSON.stringify([entry('alice'), entry('bob')]));
    expect(revokeInFile(json, 'alice')).toBe(1);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual([entry('bob')]);
  });

  it('refuses an unknown id or an invalid file and changes nothing', () => {
    const file = tokensFile('keep.yaml', [line('bob')]);
    const before = readFileSync(file, 'utf8');
    expect(() => revokeInFile(file, 'alice')).toThrow(new TokenFileError(file, 'no token with id alice'));
    const bad = tokensFile('bad.yaml', [line('bob'), '- { id: x, roles: [], sha256: 00 }']);
    const badBefore = readFileSync(bad, 'utf8');
    expect(() => revokeInFile(bad, 'bob')).toThrow(ConfigError);
    expect([readFileSync(file, 'utf8'), readFileSync(bad, 'utf8')]).toEqual([before, badBefore]);
  });
});

describe('a running hub process', () => {
  let redis: RedisServer;
  let hub: Proc;
  let url: string;
  let file: string;

  const status = async (token: string) => {
    const res = await request(`${url}/v1/providers`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.body.json()) as { error?: string };
    return res.statusCode === 200 ? 200 : `${res.statusCode} ${body.error}`;
  };
  const cli = async (args: string[]) => {
    const p = runCli('hub/cli.ts', args);
    const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
    return { code, out: p.lines.join('\n') };
  };

  beforeAll(async () => {
    redis = await startRedis();
    // A token record an older hub wrote into Redis when it loaded its tokens file, whose line is long gone.
    const store = new RedisHubStore({ url: redis.url });
    await store.putToken(hashToken(tokens.old), { id: 'old', roles: ['admin'], createdAt: Date.now() });
    await store.close();
    file = tokensFile('hub-tokens.yaml', ['# tokens of the hub under test', line('alice'), line('bob'), line('carol')]);
    const port = await freePort();
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, YAML.stringify({ http: { listen: `127.0.0.1:${port}` }, redis: { url: redis.url }, tokens: { file } }));
    hub = runCli('hub/cli.ts', ['serve', '--config', config]);
    await hub.waitFor(/hub listening/);
    url = `http://127.0.0.1:${port}`;
  }, 60_000);

  afterAll(async () => {
    expect(await hub?.kill()).toBe(0);
    await redis?.stop();
  });

  it('refuses a token revoked with `hoptrace-hub token revoke` from the next request, without a restart', async () => {
    expect(await status(tokens.alice)).toBe(200);
    const revoked = await cli(['token', 'revoke', 'alice', '--file', file]);
    expect(revoked).toEqual({ code: 0, out: `revoked alice: 1 line(s) removed from ${file}; a running hub refuses it from its next request` });
    expect(await status(tokens.alice)).toBe('401 unknown token');
    expect(await status(tokens.bob)).toBe(200);
    expect(readFileSync(file, 'utf8')).toContain('# tokens of the hub under test');
  });

  it('refuses a token whose line was deleted by hand, and a second revoke says there is nothing to revoke', async () => {
    expect(await status(tokens.carol)).toBe(200);
    writeFileSync(file, `${line('bob')}\n`);
    expect(await status(tokens.carol)).toBe('401 unknown token');
    const again = await cli(['token', 'revoke', 'carol', '--file', file]);
    expect(again.code).toBe(1);
    expect(again.out).toBe(`error: ${file}: no token with id carol`);
    expect(readFileSync(file, 'utf8')).toBe(`${line('bob')}\n`);
    expect(await status(tokens.bob)).toBe(200);
  });

  it('does not accept a token record left in Redis by an earlier hub', async () => {
    expect(await status(tokens.old)).toBe('401 unknown token');
  });

  it('says how to use `token revoke` when its arguments are missing', async () => {
    const bare = await cli(['token', 'revoke', 'bob']);
    expect(bare.code).toBe(2);
    expect(bare.out).toContain("token revoke needs --file: the hub's tokens file (tokens.file)");
    expect(await status(tokens.bob)).toBe(200);
  });
});
