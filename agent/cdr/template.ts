/**
 * Column names from a writer's own template, so an operator can paste the line from its config instead of
 * retyping it: FreeSWITCH cdr_csv templates (`"${caller_id_number}","${start_epoch}"`, opener `${`) and Asterisk
 * cdr_custom mappings (`${CSV_QUOTE(${CDR(clid)})},${CDR(start,u)}`, opener `CDR(`). Columns are split at the
 * separator outside `${…}` and quotes; a column's name is its first variable, '' when it has none (a literal),
 * so later columns keep their positions.
 */
export function templateColumns(template: string, separator: string, opener: string): string[] {
  const sep = separator.charCodeAt(0);
  const columns: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i <= template.length; i++) {
    const c = template.charCodeAt(i);
    if (i === template.length || (c === sep && depth === 0 && !quoted)) {
      columns.push(variableName(template.slice(from, i), opener));
      from = i + 1;
    } else if (c === 34) quoted = !quoted;
    else if (c === 123 && template.charCodeAt(i - 1) === 36) depth++;
    else if (c === 125 && depth > 0) depth--;
  }
  return columns;
}

function variableName(column: string, opener: string): string {
  const i = column.indexOf(opener);
  if (i < 0) return '';
  const from = i + opener.length;
  let end = from;
  while (end < column.length) {
    const c = column.charCodeAt(end);
    if (c === 44 || c === 41 || c === 125) break; // , ) }
    end++;
  }
  return column.slice(from, end).trim();
}
