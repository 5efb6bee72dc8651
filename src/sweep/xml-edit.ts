/**
 * Edits attributes of a SimGrid XML file in place, keeping everything else
 * byte for byte (comments, layout, the DOCTYPE): a sweep's generated platform
 * differs from the user's only where a parameter says, so the two can be diffed.
 */

/** A start tag of the document, with where its attributes' values sit in the text. */
export interface StartTag {
  name: string;
  /** Offset of the `>` (or `/>`) that ends the tag: where a new attribute goes. */
  end: number;
  attributes: Map<string, { value: string; valueStart: number; valueEnd: number }>;
}

const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/** Every start tag, in document order; comments, processing instructions, declarations and CDATA are passed over. */
export function startTags(text: string): StartTag[] {
  const tags: StartTag[] = [];
  let pos = 0;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) return tags;
    const skip = skipped(text, lt);
    if (skip !== undefined) {
      pos = skip;
      continue;
    }
    const name = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(lt, lt + 100));
    if (name === null) {
      pos = lt + 1;
      continue;
    }
    const tag: StartTag = { name: name[1]!, end: -1, attributes: new Map() };
    ATTRIBUTE.lastIndex = lt + name[0].length;
    let match = ATTRIBUTE.exec(text);
    let after = lt + name[0].length;
    while (match !== null) {
      const quoted = match[3] ?? match[4]!;
      const valueEnd = match.index + match[0].length - 1;
      tag.attributes.set(match[1]!, { value: decode(quoted), valueStart: valueEnd - quoted.length, valueEnd });
      after = ATTRIBUTE.lastIndex;
      match = ATTRIBUTE.exec(text);
    }
    const close = /\s*\/?>/y;
    close.lastIndex = after;
    const ending = close.exec(text);
    if (ending === null) throw new Error(`malformed start tag <${tag.name}> at offset ${lt}`);
    tag.end = after + ending[0].indexOf(ending[0].includes('/>') ? '/>' : '>');
    tags.push(tag);
    pos = close.lastIndex;
  }
}

/** Where text that is no element ends, if one starts at `lt`. */
function skipped(text: string, lt: number): number | undefined {
  for (const [open, close] of [
    ['<!--', '-->'],
    ['<![CDATA[', ']]>'],
    ['<?', '?>'],
    ['<!', '>'],
    ['</', '>'],
  ] as const) {
    if (text.startsWith(open, lt)) {
      const end = text.indexOf(close, lt + open.length);
      return end < 0 ? text.length : end + close.length;
    }
  }
  return undefined;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

/** A value as it may sit between double quotes. */
function encode(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('"', '&quot;');
}

/** One change to make: set `attribute` of `tag` to `value` (added before the tag's end if it has none). */
export interface AttributeChange {
  tag: StartTag;
  attribute: string;
  value: string;
}

/** The text with every change made; changes may come in any order, at most one per tag and attribute. */
export function applyChanges(text: string, changes: readonly AttributeChange[]): string {
  const edits = changes.map(({ tag, attribute, value }) => {
    const existing = tag.attributes.get(attribute);
    if (existing !== undefined) return { start: existing.valueStart, end: existing.valueEnd, insert: encode(value) };
    return { start: tag.end, end: tag.end, insert: ` ${attribute}="${encode(value)}"` };
  });
  edits.sort((a, b) => b.start - a.start);
  let result = text;
  for (const edit of edits) result = result.slice(0, edit.start) + edit.insert + result.slice(edit.end);
  return result;
}
