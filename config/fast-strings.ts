/**
 * ioredis 6 declares `class VerbatimString extends String`; declaring it turns `String.prototype` into a
 * dictionary-mode object in V8 (Node 20), and every string method call in the process (charCodeAt, indexOf,
 * slice: the SIP parser, the CDR readers, JSON handling) then runs 2–5× slower. Importing this module loads
 * ioredis first (ES modules evaluate dependencies first) and then gives `String.prototype` fast properties back.
 * Each program entry point (the two CLIs, the benchmarks) imports it once, before any hot work starts.
 */
import 'ioredis';
import v8 from 'node:v8';

/** True when V8 had to be asked to restore the prototype; false when it was already fast. */
export const restoredFastStrings = restore();

function restore(): boolean {
  // %-natives are V8's own runtime calls; the flag is switched on only to compile this one call, then off again.
  v8.setFlagsFromString('--allow-natives-syntax');
  try {
    const hasFast = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
    if (hasFast(String.prototype)) return false;
    (new Function('o', '%ToFastProperties(o)') as (o: object) => void)(String.prototype);
    return true;
  } finally {
    v8.setFlagsFromString('--no-allow-natives-syntax');
  }
}
