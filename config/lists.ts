/**
 * Files that hold lists the configuration owns the format of — the ingress map, the providers list — read
 * with errors that name the file, the entry and the field (`ingress.yaml[3].match.cidr`).
 */
import { basename } from 'node:path';
import type { z } from 'zod';
import { ProviderInput } from '../proto/messages.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { readSettingsFile } from './file.js';
import { IngressRule } from './ingress.js';
import { isPlainObject } from './schema-walk.js';
import { validate } from './validate.js';

/** A YAML/JSON file holding a list of `item`s; errors name the file and the entry: `tokens.yaml[2].roles`. */
export function readListFile<S extends z.ZodType>(file: string, item: S): z.output<S>[] {
  const content = readSettingsFile(file) ?? [];
  const name = basename(file);
  if (!Array.isArray(content)) throw ConfigError.of(name, `expected a list, got ${isPlainObject(content) ? 'a mapping' : typeof content}`, file);
  const items: z.output<S>[] = [];
  const issues: ConfigIssue[] = [];
  content.forEach((entry, i) => {
    const result = validate(item, entry, () => file, `${name}[${i}]`);
    if (result.ok) items.push(result.data);
    else issues.push(...result.issues);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return items;
}

/** An ingress map file: a list of rules shaped like `ingress.map`; errors name `ingress.yaml[3].match.cidr`. */
export function loadIngressFile(file: string): IngressRule[] {
  return readListFile(file, IngressRule);
}

/** A providers file: a list of providers as the providers API takes them; ids must be unique. */
export function loadProvidersFile(file: string): ProviderInput[] {
  const providers = readListFile(file, ProviderInput.strict());
  const firstAt = new Map<string, number>();
  const issues = providers.flatMap((provider, i): ConfigIssue[] => {
    const first = firstAt.get(provider.id);
    if (first === undefined) firstAt.set(provider.id, i);
    return first === undefined ? [] : [{ path: `${basename(file)}[${i}].id`, reason: `duplicate provider id "${provider.id}" (also at [${first}])`, source: file }];
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return providers;
}
