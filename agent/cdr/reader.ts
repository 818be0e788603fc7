/**
 * The skeleton every format shares, so a format file holds only where its fields are: options checked once,
 * blank lines skipped, the fields assembled into a CallRecord, every problem turned into a CdrLineError.
 */
import type { z } from 'zod';
import type { CallRecord } from '../calls/record.js';
import { callRecord, type CallFields } from './assemble.js';
import { lineText } from './csv.js';
import { CdrLineError, type CdrContext, type CdrFormat } from './format.js';
import { optionsOf, OptionsProblem } from './options.js';
import type { XmlRecord } from './xml-paths.js';
import { textBytes } from './xml-shapes.js';
import { elements, parseXml, XmlProblem } from './xml.js';

/** The fields of one record; null for a record that is skipped (a START, a header row); or a reason. */
export type Read<O, In> = (input: In, options: O, ctx: CdrContext, lineNo: number) => CallFields | null | string;

export function lineReader<S extends z.ZodType>(
  format: string,
  schema: S,
  read: Read<z.output<S>, string>,
): NonNullable<CdrFormat['parseLine']> {
  return (line, lineNo, ctx) => {
    let text = lineText(line);
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1); // CRLF files
    if (text === '') return [];
    const options = optionsOf(schema, ctx.options);
    if (options instanceof OptionsProblem) return new CdrLineError(ctx.file, lineNo, options.reason, text);
    const fields = read(text, options, ctx, lineNo);
    if (fields === null) return [];
    const record = typeof fields === 'string' ? fields : callRecord(format, fields, ctx.rules);
    return typeof record === 'string' ? new CdrLineError(ctx.file, lineNo, record, text) : [record];
  };
}

/**
 * For XML formats: every record element in the text is one record, read as `xml` says (xml-paths.ts): from
 * its bytes when it is of a shape seen before, else from its parsed tree. Lines in errors count from the start of
 * `text` (the element's start tag).
 */
export function documentReader<S extends z.ZodType, R>(
  format: string,
  schema: S,
  xml: XmlRecord<R>,
  read: (input: R, options: z.output<S>, ctx: CdrContext) => CallFields | null | string,
): NonNullable<CdrFormat['parseDocument']> {
  const { element, wanted } = xml;
  return (text, ctx, decodedAs = 'utf8', bytes) => {
    const records: CallRecord[] = [];
    const offsets: number[] = [];
    const errors: CdrLineError[] = [];
    const options = optionsOf(schema, ctx.options);
    if (options instanceof OptionsProblem) {
      errors.push(new CdrLineError(ctx.file, 1, options.reason, text));
      return { records, errors, offsets };
    }
    const { slices, problems } = elements(text, element);
    // Slices come in document order: each one's byte offset is counted on from the last one's (in ASCII text,
    // the usual, and in text read as ISO-8859-1 it is the character offset).
    const ascii = decodedAs === 'latin1' || Buffer.byteLength(text, 'utf8') === text.length;
    // One byte per character: records of a known shape are read in the bytes (xml-shapes.ts).
    const source = ascii && bytes !== undefined && bytes.length === text.length ? textBytes(bytes) : undefined;
    let char = 0;
    let byte = 0;
    for (const slice of slices) {
      if (ascii) byte = slice.at;
      else byte += Buffer.byteLength(text.slice(char, slice.at), 'utf8');
      char = slice.at;
      // A record of a shape seen before is read in the bytes; any other is parsed, and teaches its shape.
      const shaped = source === undefined ? undefined : xml.readShaped(text, source, slice.at, slice.end);
      const tree = shaped !== undefined ? undefined : parseXml(text, slice, slice.at, slice.end, wanted, source !== undefined);
      let fields: CallFields | null | string;
      if (tree === undefined) fields = read(shaped as R, options, ctx);
      else if (tree instanceof XmlProblem) fields = tree.reason;
      else fields = read(xml.read(tree[element]), options, ctx);
      if (fields === null) continue;
      const record = typeof fields === 'string' ? fields : callRecord(format, fields, ctx.rules);
      if (typeof record === 'string') {
        const line = tree instanceof XmlProblem ? tree.line : slice.line;
        errors.push(new CdrLineError(ctx.file, line, record, slice.text));
      } else {
        records.push(record);
        offsets.push(byte);
      }
    }
    for (const p of problems) errors.push(new CdrLineError(ctx.file, p.line, p.reason, p.text));
    if (slices.length === 0 && problems.length === 0 && !onlyEndTags(text)) {
      // No record element at all: say why when the document is not even XML. End tags alone are the tail of a
      // file of records (`</CDRs></File>`), read apart from its records: nothing to say.
      const tree = parseXml(text);
      if (tree instanceof XmlProblem) errors.push(new CdrLineError(ctx.file, tree.line, tree.reason, text));
    }
    return { records, errors, offsets };
  };
}

/** End tags and comments only. */
function onlyEndTags(text: string): boolean {
  return text.replace(/<\/[^<>]*>|<!--[\s\S]*?-->/g, '').trim() === '';
}
