/**
 * Answers leave for the hub together: those signed in the same turn share one POST (a lone one goes as `{ jws }`),
 * at most ANSWERS_PER_POST per request, and what the hub refuses is logged with the query it answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANSWERS_PER_POST, AnswerOutbox } from '../../../agent/link/outbox.js';

let server: http.Server;
let url: string;
const bodies: unknown[] = [];
/** What the stand-in hub answers a batch: the answer `refused-…` is refused, every other accepted. */
function results(answers: string[]) {
  return answers.map((a) => (a.startsWith('refused-') ? { refused: 409, error: `case moved on (${a})` } : { tracebackId: 'c1', status: 'open' }));
}

const lines: { msg: string; queryId?: string; queryIds?: string[]; status?: number; body?: string }[] = [];
const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString('utf8'))), done()) }));
const dispatcher = new Agent();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text) as { jws?: string; answers?: string[] };
      bodies.push(body);
      if (body.jws === 'refused-alone') return void res.writeHead(409, { 'content-type': 'application/json' }).end('{"error":"case moved on"}');
      const reply = body.answers ? { results: results(body.answers) } : { tracebackId: 'c1', status: 'open' };
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/agent/answers`;
});
afterAll(async () => {
  await dispatcher.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  bodies.length = 0;
  lines.length = 0;
});

describe('answer outbox', () => {
  it('posts the answers of one turn together, and a lone answer as { jws }', async () => {
    const outbox = new AnswerOutbox({ url, http: dispatcher, log });
    await Promise.all(['a1', 'a2', 'a3'].map((jws, i) => outbox.send(`q${i + 1}`, jws)));
    await outbox.send('q4', 'a4');
    expect(bodies).toEqual([{ answers: ['a1', 'a2', 'a3'] }, { jws: 'a4' }]);
    expect(lines).toEqual([]);
  });

  it(`splits a larger turn into requests of ${ANSWERS_PER_POST}`, async () => {
    const outbox = new AnswerOutbox({ url, http: dispatcher, log });
    const many = Array.from({ length: ANSWERS_PER_POST + 2 }, (_, i) => `a${i}`);
    await Promise.all(many.map((jws, i) => outbox.send(`q${i}`, jws)));
    expect(bodies.map((b) => (b as { answers: string[] }).answers.length)).toEqual([ANSWERS_PER_POST, 2]);
    expect(bodies.flatMap((b) => (b as { answers: string[] }).answers)).toEqual(many);
  });

  it('logs each answer the hub refused with its query, in a batch and alone', async () => {
    const outbox = new AnswerOutbox({ url, http: dispatcher, log });
    await Promise.all([outbox.send('q1', 'a1'), outbox.send('q2', 'refused-a2'), outbox.send('q3', 'a3')]);
    await outbox.send('q4', 'refused-alone');
    expect(lines.map((l) => [l.msg, l.queryId ?? l.queryIds, l.status])).toEqual([
      ['hub refused the answer', 'q2', 409],
      ['hub refused the answer', ['q4'], 409],
    ]);
    expect(lines[0]?.body).toBe('case moved on (refused-a2)');
  });

  it('settles every answer of a request that failed, and logs their queries', async () => {
    const outbox = new AnswerOutbox({ url: 'http://127.0.0.1:1/v1/agent/answers', http: dispatcher, log });
    await Promise.all([outbox.send('q1', 'a1'), outbox.send('q2', 'a2')]);
    expect(lines.map((l) => [l.msg, l.queryIds])).toEqual([['could not answer the hop query', ['q1', 'q2']]]);
  });
});
