/**
 * Bad input to the call index (a record, a lookup, an option): `path` names the field, e.g. `records[3].called`.
 * Thrown before anything is written, so a rejected batch changes nothing.
 */
export class CallIndexInputError extends Error {
  override readonly name = 'CallIndexInputError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
