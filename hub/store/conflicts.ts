/** The conflicts both stores report, worded once so that callers and logs see the same text from either. */
import { ConflictError } from './store.js';

export function caseExists(id: string): ConflictError {
  return new ConflictError(`case ${id} already exists`);
}

export function caseMissing(id: string): ConflictError {
  return new ConflictError(`case ${id} does not exist`);
}

/** The stored case is not the version the save follows: another instance saved it first. */
export function caseMoved(id: string, storedRev: number, followsRev: number): ConflictError {
  return new ConflictError(`case ${id} was saved by someone else (stored rev ${storedRev}, this save follows rev ${followsRev})`);
}
