/**
 * A strict, bounded parser for the XML plist subset. It understands exactly: the `<?xml?>` declaration and
 * other processing instructions, comments, `<!DOCTYPE>` (skipped), `<plist>`, the value elements, the five
 * predefined entities, numeric character references and CDATA. Anything else is PLIST_MALFORMED with the line,
 * column and offset of the problem. Work is linear in the input; nesting and element counts are limited.
 */
import { ProtocolError } from '../errors.js';
import { tooDeep, tooManyObjects, type ResolvedPlistLimits } from './limits.js';
import {
  decodeBase64Text,
  isXmlSpace,
  parseDateText,
  parseIntegerText,
  parseRealText,
  trimXmlSpace,
} from './xml-scalars.js';
import { PlistReal, PlistUid, type PlistDict, type PlistValue } from './types.js';

interface StartTag {
  name: string;
  selfClosing: boolean;
  /** Offset of the `<`. */
  at: number;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decode the bytes of an XML plist into text: UTF-8 (BOM optional) or UTF-16 with a BOM. */
function decodeXmlBytes(bytes: Uint8Array): string {
  try {
    if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
      return new TextDecoder('utf-16le', { fatal: true }).decode(bytes);
    }
    if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
      if (bytes.length % 2 !== 0) throw new TypeError('odd length');
      const swapped = Buffer.from(bytes);
      swapped.swap16();
      return new TextDecoder('utf-16le', { fatal: true }).decode(swapped);
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ProtocolError('PLIST_MALFORMED', 'XML plist is not valid UTF-8 (or UTF-16 with a byte order mark)', { cause: err });
  }
}

class XmlPlistParser {
  private pos = 0;
  private objects = 0;

  constructor(
    private readonly s: string,
    private readonly limits: ResolvedPlistLimits,
  ) {}

  parseDocument(): PlistValue {
    this.skipMisc(true);
    if (this.s.charCodeAt(this.pos) !== 0x3c) this.fail(this.pos >= this.s.length ? 'no root element' : 'expected "<" to start the root element');
    const root = this.readStartTag();
    let value: PlistValue;
    if (root.name === 'plist') {
      if (root.selfClosing) this.fail('<plist> has no value', root.at);
      this.skipMisc(false);
      if (this.s.startsWith('</', this.pos)) this.fail('<plist> has no value');
      if (this.s.charCodeAt(this.pos) !== 0x3c) this.unexpectedText('plist', root);
      value = this.parseValue(this.readStartTag(), 0);
      this.skipMisc(false);
      if (this.pos >= this.s.length) this.fail(`document ends inside <plist> opened at ${this.where(root.at)}`);
      if (!this.s.startsWith('</', this.pos)) {
        if (this.s.charCodeAt(this.pos) === 0x3c) this.fail('<plist> holds more than one value');
        this.unexpectedText('plist', root);
      }
      this.readEndTag('plist', root);
    } else {
      value = this.parseValue(root, 0);
    }
    this.skipMisc(false);
    if (this.pos < this.s.length) this.fail('unexpected content after the end of the plist');
    return value;
  }

  // ---- values ----------------------------------------------------------------------------------------------

  private parseValue(tag: StartTag, depth: number): PlistValue {
    if (++this.objects > this.limits.maxObjects) throw tooManyObjects(this.limits, `(XML element at ${this.where(tag.at)})`);
    switch (tag.name) {
      case 'string':
        return this.readText(tag);
      case 'integer': {
        const v = parseIntegerText(this.readText(tag));
        if (v === undefined) this.fail('<integer> is not a whole number between -2^63 and 2^64-1', tag.at);
        return v;
      }
      case 'real': {
        const v = parseRealText(this.readText(tag));
        if (v === undefined) this.fail('<real> is not a number', tag.at);
        return new PlistReal(v);
      }
      case 'date': {
        const v = parseDateText(this.readText(tag));
        if (v === undefined) this.fail('<date> is not a valid YYYY-MM-DDTHH:MM:SSZ date', tag.at);
        return v;
      }
      case 'data': {
        const v = decodeBase64Text(this.readText(tag));
        if (v === undefined) this.fail('<data> is not valid base64', tag.at);
        return v;
      }
      case 'true':
      case 'false':
        if (trimXmlSpace(this.readText(tag)) !== '') this.fail(`<${tag.name}/> must be empty`, tag.at);
        return tag.name === 'true';
      case 'array':
        return this.parseArray(tag, depth + 1);
      case 'dict':
        return this.parseDict(tag, depth + 1);
      case 'key':
        return this.fail('<key> outside a <dict>', tag.at);
      default:
        this.fail(`unknown element <${tag.name}>`, tag.at);
    }
  }

  private parseArray(tag: StartTag, depth: number): PlistValue[] {
    if (depth > this.limits.maxDepth) throw tooDeep(this.limits, `(XML <array> at ${this.where(tag.at)})`);
    const out: PlistValue[] = [];
    if (tag.selfClosing) return out;
    for (;;) {
      const child = this.nextChild(tag);
      if (!child) return out;
      out.push(this.parseValue(child, depth));
    }
  }

  private parseDict(tag: StartTag, depth: number): PlistDict | PlistUid {
    if (depth > this.limits.maxDepth) throw tooDeep(this.limits, `(XML <dict> at ${this.where(tag.at)})`);
    const out = Object.create(null) as PlistDict;
    if (tag.selfClosing) return out;
    let count = 0;
    for (;;) {
      const keyTag = this.nextChild(tag);
      if (!keyTag) break;
      if (keyTag.name !== 'key') this.fail(`expected <key> in <dict>, found <${keyTag.name}>`, keyTag.at);
      const key = this.readText(keyTag);
      const valueTag = this.nextChild(tag);
      if (!valueTag) this.fail(`<key>${key.slice(0, 40)}</key> has no value`, keyTag.at);
      out[key] = this.parseValue(valueTag, depth);
      count++;
    }
    if (count === 1) {
      const ref = out['CF$UID'];
      if (typeof ref === 'number' && Number.isInteger(ref) && ref >= 0 && ref <= 0xffffffff) return new PlistUid(ref);
    }
    return out;
  }

  /** The next child start tag of `parent`, or undefined after consuming the parent's end tag. */
  private nextChild(parent: StartTag): StartTag | undefined {
    this.skipSpaceAndComments(parent);
    if (this.s.charCodeAt(this.pos) !== 0x3c) this.unexpectedText(parent.name, parent);
    if (this.s.charCodeAt(this.pos + 1) === 0x2f) {
      this.readEndTag(parent.name, parent);
      return undefined;
    }
    return this.readStartTag();
  }

  // ---- text ------------------------------------------------------------------------------------------------

  /** The character content of a text-only element, consuming its end tag. */
  private readText(tag: StartTag): string {
    if (tag.selfClosing) return '';
    const s = this.s;
    let out = '';
    for (;;) {
      const lt = s.indexOf('<', this.pos);
      if (lt < 0) this.fail(`document ends inside <${tag.name}> opened at ${this.where(tag.at)}`, s.length);
      if (lt > this.pos) out += this.decodeEntities(this.pos, lt);
      this.pos = lt;
      if (s.charCodeAt(lt + 1) === 0x2f) {
        this.readEndTag(tag.name, tag);
        return out;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end < 0) this.fail('unterminated CDATA section', lt);
        out += s.slice(lt + 9, end);
        this.pos = end + 3;
      } else if (s.startsWith('<!--', lt)) {
        this.skipComment();
      } else {
        this.fail(`unexpected markup inside <${tag.name}> (it holds text only)`, lt);
      }
    }
  }

  private decodeEntities(start: number, end: number): string {
    const chunk = this.s.slice(start, end);
    let amp = chunk.indexOf('&');
    if (amp < 0) return chunk;
    let out = '';
    let from = 0;
    while (amp >= 0) {
      out += chunk.slice(from, amp);
      const semi = chunk.indexOf(';', amp + 1);
      if (semi < 0 || semi - amp > 12) this.fail('"&" that does not start an entity (write &amp;)', start + amp);
      out += this.entity(chunk.slice(amp + 1, semi), start + amp);
      from = semi + 1;
      amp = chunk.indexOf('&', from);
    }
    return out + chunk.slice(from);
  }

  private entity(name: string, at: number): string {
    const named = NAMED_ENTITIES[name];
    if (named !== undefined) return named;
    if (name.charCodeAt(0) === 0x23) {
      const hex = name.charCodeAt(1) === 0x78 || name.charCodeAt(1) === 0x58;
      const digits = name.slice(hex ? 2 : 1);
      let cp = 0;
      let ok = digits.length > 0;
      for (let i = 0; ok && i < digits.length; i++) {
        const c = digits.charCodeAt(i);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x57;
        else {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + d;
      }
      if (ok && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
      this.fail(`invalid character reference &${name};`, at);
    }
    this.fail(`unknown entity &${name};`, at);
  }

  // ---- tags ------------------------------------------------------------------------------------------------

  private readStartTag(): StartTag {
    const s = this.s;
    const at = this.pos;
    let p = at + 1;
    if (!isNameStart(s.charCodeAt(p))) this.fail('expected an element name after "<"', at);
    while (isNameChar(s.charCodeAt(p))) p++;
    const name = s.slice(at + 1, p);
    for (;;) {
      const spaceStart = p;
      while (isXmlSpace(s.charCodeAt(p))) p++;
      const c = s.charCodeAt(p);
      if (c === 0x3e) {
        this.pos = p + 1;
        return { name, selfClosing: false, at };
      }
      if (c === 0x2f && s.charCodeAt(p + 1) === 0x3e) {
        this.pos = p + 2;
        return { name, selfClosing: true, at };
      }
      if (p >= s.length) this.fail(`document ends inside the tag <${name}>`, at);
      if (p === spaceStart || !isNameStart(c)) this.fail(`malformed attribute in <${name}>`, p);
      while (isNameChar(s.charCodeAt(p))) p++;
      while (isXmlSpace(s.charCodeAt(p))) p++;
      if (s.charCodeAt(p) !== 0x3d) this.fail(`attribute without a value in <${name}>`, p);
      p++;
      while (isXmlSpace(s.charCodeAt(p))) p++;
      const q = s.charCodeAt(p);
      if (q !== 0x22 && q !== 0x27) this.fail(`attribute value in <${name}> is not quoted`, p);
      const close = s.indexOf(q === 0x22 ? '"' : "'", p + 1);
      if (close < 0) this.fail(`unterminated attribute value in <${name}>`, p);
      const lt = s.indexOf('<', p + 1);
      if (lt >= 0 && lt < close) this.fail(`"<" inside an attribute value of <${name}>`, lt);
      p = close + 1;
    }
  }

  private readEndTag(name: string, open: StartTag): void {
    const s = this.s;
    const at = this.pos;
    let p = at + 2;
    const nameStart = p;
    while (isNameChar(s.charCodeAt(p))) p++;
    const got = s.slice(nameStart, p);
    while (isXmlSpace(s.charCodeAt(p))) p++;
    if (s.charCodeAt(p) !== 0x3e) this.fail(`malformed end tag </${got}`, at);
    if (got !== name) this.fail(`</${got}> does not close <${name}> opened at ${this.where(open.at)}`, at);
    this.pos = p + 1;
  }

  // ---- whitespace, comments, prolog ------------------------------------------------------------------------

  private skipSpaceAndComments(parent: StartTag): void {
    const s = this.s;
    for (;;) {
      while (isXmlSpace(s.charCodeAt(this.pos))) this.pos++;
      if (this.pos >= s.length) this.fail(`document ends inside <${parent.name}> opened at ${this.where(parent.at)}`, s.length);
      if (!s.startsWith('<!--', this.pos)) return;
      this.skipComment();
    }
  }

  /** Whitespace, comments and processing instructions; in the prolog also one DOCTYPE. */
  private skipMisc(prolog: boolean): void {
    const s = this.s;
    let sawDoctype = false;
    for (;;) {
      while (isXmlSpace(s.charCodeAt(this.pos))) this.pos++;
      if (s.startsWith('<!--', this.pos)) this.skipComment();
      else if (s.startsWith('<?', this.pos)) {
        const end = s.indexOf('?>', this.pos + 2);
        if (end < 0) this.fail('unterminated processing instruction "<?"');
        this.pos = end + 2;
      } else if (prolog && !sawDoctype && s.startsWith('<!DOCTYPE', this.pos)) {
        this.skipDoctype();
        sawDoctype = true;
      } else return;
    }
  }

  private skipComment(): void {
    const end = this.s.indexOf('-->', this.pos + 4);
    if (end < 0) this.fail('unterminated comment "<!--"');
    this.pos = end + 3;
  }

  /** Skips `<!DOCTYPE …>` including a bracketed internal subset and quoted strings (never interpreted). */
  private skipDoctype(): void {
    const s = this.s;
    const at = this.pos;
    let p = at + 9;
    let inSubset = false;
    while (p < s.length) {
      const c = s.charCodeAt(p);
      if (c === 0x22 || c === 0x27) {
        const close = s.indexOf(c === 0x22 ? '"' : "'", p + 1);
        if (close < 0) break;
        p = close + 1;
        continue;
      }
      if (c === 0x5b) inSubset = true;
      else if (c === 0x5d) inSubset = false;
      else if (c === 0x3e && !inSubset) {
        this.pos = p + 1;
        return;
      }
      p++;
    }
    this.fail('unterminated <!DOCTYPE>', at);
  }

  // ---- errors ----------------------------------------------------------------------------------------------

  private unexpectedText(parentName: string, parent: StartTag): never {
    this.fail(`unexpected text inside <${parentName}> opened at ${this.where(parent.at)}`);
  }

  private where(offset: number): string {
    const s = this.s;
    let line = 1;
    let lineStart = 0;
    for (let i = s.indexOf('\n'); i >= 0 && i < offset; i = s.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return `line ${line}, column ${offset - lineStart + 1} (offset ${offset})`;
  }

  private fail(message: string, at: number = this.pos): never {
    throw new ProtocolError('PLIST_MALFORMED', `XML plist: ${message} at ${this.where(Math.min(at, this.s.length))}`);
  }
}

export function decodeXmlPlist(bytes: Uint8Array, limits: ResolvedPlistLimits): PlistValue {
  return new XmlPlistParser(decodeXmlBytes(bytes), limits).parseDocument();
}
