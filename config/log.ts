/**
 * The one logger factory for hub, agent and CLIs: JSON lines (pino), secrets redacted wherever they appear
 * in a logged object (DESIGN §8). Callers add context with child loggers (caseId, queryId, reqId).
 */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization',
  'secret',
  'password',
  'token',
  'privateKey',
  '*.authorization',
  '*.secret',
  '*.password',
  '*.token',
  '*.privateKey',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(name: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name } }, destination);
}
