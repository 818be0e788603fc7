/**
 * Configuration errors are values with context (STYLE: `ConfigError { path, reason }`): the path of the bad
 * setting, why it is bad, and where the value came from (a flag, an environment variable or a file), so an
 * operator can fix it without reading a stack trace. Every problem found is listed, not just the first.
 */

export interface ConfigIssue {
  /** Dotted path of the setting (`sip.listen[0]`), a flag (`--foo`), or a file position (`agent.yaml:3:7`). */
  path: string;
  reason: string;
  /** Where the bad value came from: `--sip`, `HOPTRACE_REDIS_URL`, or a file path. */
  source?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly path: string;
  readonly reason: string;
  readonly source: string | undefined;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const all = issues.length > 0 ? issues : [{ path: '(config)', reason: 'invalid' }];
    super(all.map(describeIssue).join('\n'));
    const first = all[0]!;
    this.path = first.path;
    this.reason = first.reason;
    this.source = first.source;
    this.issues = all;
  }

  static of(path: string, reason: string, source?: string): ConfigError {
    return new ConfigError([source === undefined ? { path, reason } : { path, reason, source }]);
  }
}

/** `config error at sip.listen[0] (from --sip): expected udp:HOST:PORT or tcp:HOST:PORT` */
export function describeIssue(issue: ConfigIssue): string {
  const from = issue.source === undefined ? '' : ` (from ${issue.source})`;
  return `config error at ${issue.path}${from}: ${issue.reason}`;
}
