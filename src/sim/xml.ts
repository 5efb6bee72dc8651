/**
 * A small XML reader for SimGrid's files: elements, attributes, comments,
 * the XML declaration and a DOCTYPE; text between elements is ignored.
 * Enough for the deployment format, and for checking a platform's values
 * before SimGrid reads it, with the line of every element and attribute
 * so that errors can point at them.
 */

export interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  /** The line where each attribute starts (a tag may span several lines). */
  attributeLines: Map<string, number>;
  children: XmlElement[];
  line: number;
  /** The text directly inside the element, as written (a SimGrid <trace>'s profile), and the line where its content starts. */
  text: string;
  textLine: number;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string, line: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const value = ENTITIES[ref];
    if (value === undefined) throw new XmlSyntaxError(`unknown entity &${ref};`, line);
    return value;
  });
}

/** Parses a document and returns its root element. */
export function parseXml(text: string): XmlElement {
  let pos = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const advanceTo = (next: number) => {
    for (let i = pos; i < next; i++) if (text.charCodeAt(i) === 10) line++;
    pos = next;
  };
  const skipPast = (terminator: string, what: string) => {
    const end = text.indexOf(terminator, pos);
    if (end < 0) throw new XmlSyntaxError(`unterminated ${what}`, line);
    advanceTo(end + terminator.length);
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = lt < 0 ? text.slice(pos) : text.slice(pos, lt);
    if (chunk.trim() !== '' && stack.length === 0) {
      throw new XmlSyntaxError('text outside the root element', line + (chunk.match(/^\s*/)![0].split('\n').length - 1));
    }
    if (stack.length > 0) stack[stack.length - 1]!.text += chunk;
    advanceTo(lt < 0 ? text.length : lt);
    if (lt < 0) break;

    if (text.startsWith('<!--', pos)) {
      skipPast('-->', 'comment');
    } else if (text.startsWith('<?', pos)) {
      skipPast('?>', 'processing instruction');
    } else if (text.startsWith('<!', pos)) {
      skipPast('>', 'declaration');
    } else if (text.startsWith('</', pos)) {
      const m = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(pos, pos + 200));
      if (m === null) throw new XmlSyntaxError('malformed closing tag', line);
      const open = stack.pop();
      if (open === undefined || open.name !== m[1]) {
        throw new XmlSyntaxError(
          open === undefined ? `unexpected closing tag </${m[1]}>` : `closing tag </${m[1]}> does not match <${open.name}> opened at line ${open.line}`,
          line,
        );
      }
      advanceTo(pos + m[0].length);
    } else {
      const element = readStartTag();
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element.element);
      else if (root === undefined) root = element.element;
      else throw new XmlSyntaxError(`a second root element <${element.element.name}>`, element.element.line);
      if (!element.selfClosing) stack.push(element.element);
    }
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    throw new XmlSyntaxError(`<${open.name}> opened at line ${open.line} is never closed`, line);
  }
  if (root === undefined) throw new XmlSyntaxError('no root element', line);
  return root;

  function readStartTag(): { element: XmlElement; selfClosing: boolean } {
    const startLine = line;
    const name = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(pos, pos + 200));
    if (name === null) throw new XmlSyntaxError("malformed tag: '<' not followed by a name", line);
    advanceTo(pos + name[0].length);
    const attributes = new Map<string, string>();
    const attributeLines = new Map<string, number>();
    const element = (selfClosing: boolean) => ({
      element: { name: name[1]!, attributes, attributeLines, children: [], line: startLine, text: '', textLine: line },
      selfClosing,
    });
    for (;;) {
      const ws = /^\s*/.exec(text.slice(pos))![0];
      advanceTo(pos + ws.length);
      if (text.startsWith('/>', pos)) {
        advanceTo(pos + 2);
        return element(true);
      }
      if (text.startsWith('>', pos)) {
        advanceTo(pos + 1);
        return element(false);
      }
      if (pos >= text.length) throw new XmlSyntaxError(`unterminated tag <${name[1]}>`, startLine);
      if (ws === '' && attributes.size > 0) throw new XmlSyntaxError(`missing space between attributes in <${name[1]}>`, line);
      const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(text.slice(pos, pos + 4096));
      if (attr === null) throw new XmlSyntaxError(`malformed attribute in <${name[1]}>`, line);
      if (attributes.has(attr[1]!)) throw new XmlSyntaxError(`attribute '${attr[1]}' given twice in <${name[1]}>`, line);
      attributes.set(attr[1]!, decodeEntities(attr[3] ?? attr[4]!, line));
      attributeLines.set(attr[1]!, line);
      advanceTo(pos + attr[0].length);
    }
  }
}
