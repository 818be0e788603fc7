/**
 * How a case is laid out in its Redis hash. A hop's signed answer (the JWS, the keys it verifies with, the decoded
 * answer) is ≈ 85 % of a case and never changes once recorded, while the rest changes at every hop: so each signed
 * answer is a field of its own, written once, and `json` holds the case without them. A 5-hop traceback sent
 * 43.6 KB to Redis when every save rewrote the whole case (bench/traceback.ts).
 */
import type { Case, Hop, ShakenShortcut } from '../case.js';

/** The parts of a hop (or of the SHAKEN side query) that come with its answer. */
type Sealed = Pick<Hop, 'answer' | 'answerJws' | 'answerKeys'>;

const hopField = (i: number): string => `a:${i}`;
const SHAKEN_FIELD = 'a:shaken';
const FIELD_PREFIX = 'a:';

export interface CaseFields {
  /** The case without its signed answers. */
  json: string;
  /** [field, value] of each signed answer `prev` (the version this one replaces) does not hold already. */
  answers: string[];
}

/** `c` as hash fields; with `prev`, only the answers that are new since it. */
export function caseFields(c: Case, prev?: Case): CaseFields {
  const answers: string[] = [];
  const sealed = (field: string, part: Sealed, before: Sealed | undefined) => {
    if (part.answerJws !== undefined && part.answerJws !== before?.answerJws) answers.push(field, JSON.stringify(pick(part)));
  };
  c.hops.forEach((hop, i) => sealed(hopField(i), hop, prev?.hops[i]));
  if (c.shaken) sealed(SHAKEN_FIELD, c.shaken, prev?.shaken);
  const json = JSON.stringify({ ...c, hops: c.hops.map(unsealed), ...(c.shaken && { shaken: unsealed(c.shaken) }) });
  return { json, answers };
}

/** The case from its hash fields (a case stored whole before this layout has no answer fields: read as is). */
export function caseFromFields(fields: Record<string, string>): Case | undefined {
  if (fields.json === undefined) return undefined;
  const c = JSON.parse(fields.json) as Case;
  for (const field in fields) {
    if (!field.startsWith(FIELD_PREFIX)) continue;
    const part = JSON.parse(fields[field] as string) as Sealed;
    const target: Hop | ShakenShortcut | undefined = field === SHAKEN_FIELD ? c.shaken : c.hops[Number(field.slice(FIELD_PREFIX.length))];
    if (target) Object.assign(target, part);
  }
  return c;
}

/** Without its signed answer, when it has one (it is stored in its own field). */
function unsealed<T extends Sealed>(part: T): Omit<T, keyof Sealed> | T {
  if (part.answerJws === undefined) return part;
  const { answer: _a, answerJws: _j, answerKeys: _k, ...rest } = part;
  return rest;
}

function pick(part: Sealed): Sealed {
  return { answer: part.answer, answerJws: part.answerJws, answerKeys: part.answerKeys };
}
