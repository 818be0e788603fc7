/**
 * The effective configuration as `check` prints it: YAML that loads again, with secrets redacted
 * (DESIGN §8: secrets never reach logs) and, when sources are given, where each non-default value came from.
 */
import { Document, isMap, isScalar } from 'yaml';
import { formatAddress, type HostPort, type ListenAddress } from './listen.js';
import { isPlainObject } from './schema-walk.js';

export type SettingSource = 'flag' | 'env' | 'file' | 'default';

const SECRET_KEY = /secret|password|passwd|token|authkey/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i;
const MASK = '***';

/** A copy with every secret masked: values under secret-like keys, and passwords in URLs. */
export function redact<T>(config: T): T {
  return redactValue(config, undefined) as T;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEY.test(key)) return MASK;
    return value.replace(URL_PASSWORD, `$1${MASK}@`);
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, key));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  return value;
}

/**
 * YAML of the redacted config. With `sources` (from the loader), each value set by a flag, a variable or
 * the file carries a comment saying so.
 */
export function formatEffective(config: object, sources?: Readonly<Record<string, SettingSource>>): string {
  const doc = new Document(asWritten(redact(config)));
  for (const [path, source] of Object.entries(sources ?? {})) {
    if (source !== 'default') annotate(doc, path.split('.'), ` ${source}`);
  }
  return doc.toString();
}

/** A scalar gets its comment at the end of its line; a list or a section above its key. */
function annotate(doc: Document, path: readonly string[], comment: string): void {
  const node = doc.getIn(path, true);
  if (isScalar(node)) {
    node.comment = comment;
    return;
  }
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]) : undefined;
  if (pair && isScalar(pair.key)) pair.key.commentBefore = comment;
}

/** Listen addresses back in the form a file holds them, so the output is itself a valid config. */
function asWritten(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asWritten);
  if (!isPlainObject(value)) return value;
  if (isAddress(value)) return formatAddress(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asWritten(v)]));
}

function isAddress(value: unknown): value is HostPort | ListenAddress {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value).sort().join(',');
  const shaped = keys === 'host,port' || (keys === 'host,port,transport' && typeof value['transport'] === 'string');
  return shaped && typeof value['host'] === 'string' && typeof value['port'] === 'number';
}
