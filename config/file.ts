/**
 * Reading a settings file. JSON is read by the YAML parser too (YAML 1.2 is a superset of JSON), so both
 * get the same line/column errors; duplicate keys are an error, never a silent "last one wins".
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';

/** The file's content as plain data (an empty file is `null`), or a ConfigError naming the file. */
export function readSettingsFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ConfigError.of(file, `cannot read the file: ${readFailure(err)}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e): ConfigIssue => {
        const at = e.linePos?.[0];
        return { path: at ? `${file}:${at.line}:${at.col}` : file, reason: `bad YAML: ${e.message.split(/ at line \d+/)[0]}` };
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved aliases and alias bombs surface only when the document is turned into data.
    throw ConfigError.of(file, `bad YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}
