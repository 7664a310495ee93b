/**
 * XML plist writer in the layout libplist and Apple produce: Apple DOCTYPE, one element per line, tab
 * indentation, <data> as base64 lines of 76 − 8·depth characters (depth capped at 8), reals as `%.17g`.
 */
import { ProtocolError } from '../errors.js';
import { classify, CycleGuard, isWellFormedString, ValuePath } from './encode-value.js';
import { formatDateText, formatRealText } from './xml-scalars.js';
import type { PlistValue } from './types.js';

export const XML_PLIST_HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';
export const XML_PLIST_FOOTER = '</plist>\n';

// Characters that must not appear raw in element text: markup, and control characters other than tab/newline
// (carriage return is escaped too, since XML parsers turn a raw CR into LF).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[&<>\x00-\x08\x0b-\x1f\x7f]/;

function escapeText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x26) rep = '&amp;';
    else if (c === 0x3c) rep = '&lt;';
    else if (c === 0x3e) rep = '&gt;';
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) rep = `&#x${c.toString(16).toUpperCase()};`;
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start);
}

const TABS = Array.from({ length: 64 }, (_, i) => '\t'.repeat(i));
function tabs(depth: number): string {
  return depth < TABS.length ? TABS[depth]! : '\t'.repeat(depth);
}

class XmlWriter {
  readonly parts: string[] = [];
  private readonly path = new ValuePath();
  private readonly guard = new CycleGuard();

  write(v: unknown, depth: number): void {
    const c = classify(v, this.path);
    const ind = tabs(depth);
    const parts = this.parts;
    switch (c.kind) {
      case 'string':
        parts.push(`${ind}<string>${this.text(c.value)}</string>\n`);
        return;
      case 'bool':
        parts.push(c.value ? `${ind}<true/>\n` : `${ind}<false/>\n`);
        return;
      case 'int':
        parts.push(`${ind}<integer>${c.value.toString()}</integer>\n`);
        return;
      case 'real':
        parts.push(`${ind}<real>${formatRealText(c.value)}</real>\n`);
        return;
      case 'uid':
        parts.push(`${ind}<dict>\n${ind}\t<key>CF$UID</key>\n${ind}\t<integer>${c.value}</integer>\n${ind}</dict>\n`);
        return;
      case 'date': {
        const text = formatDateText(c.value);
        if (text === undefined) {
          throw new ProtocolError('PLIST_UNSUPPORTED', `cannot encode the Date at ${this.path.toString()} as an XML <date>: year outside 0000–9999`);
        }
        parts.push(`${ind}<date>${text}</date>\n`);
        return;
      }
      case 'data':
        this.data(c.value, depth);
        return;
      case 'array': {
        const arr = c.value;
        if (arr.length === 0) {
          parts.push(`${ind}<array/>\n`);
          return;
        }
        this.guard.enter(arr, this.path);
        parts.push(`${ind}<array>\n`);
        for (let i = 0; i < arr.length; i++) {
          this.path.push(i);
          this.write(arr[i], depth + 1);
          this.path.pop();
        }
        parts.push(`${ind}</array>\n`);
        this.guard.leave(arr);
        return;
      }
      case 'dict': {
        const dict = c.value;
        const open = parts.length;
        parts.push(`${ind}<dict>\n`);
        this.guard.enter(dict, this.path);
        let count = 0;
        for (const key of Object.keys(dict)) {
          const value = dict[key];
          if (value === undefined) continue;
          this.path.push(key);
          parts.push(`${ind}\t<key>${this.text(key)}</key>\n`);
          this.write(value, depth + 1);
          this.path.pop();
          count++;
        }
        this.guard.leave(dict);
        if (count === 0) parts[open] = `${ind}<dict/>\n`;
        else parts.push(`${ind}</dict>\n`);
        return;
      }
    }
  }

  private text(s: string): string {
    if (!isWellFormedString(s)) {
      throw new ProtocolError('PLIST_UNSUPPORTED', `cannot encode the string at ${this.path.toString()} as UTF-8: it has an unpaired surrogate`);
    }
    return escapeText(s);
  }

  private data(bytes: Uint8Array, depth: number): void {
    const lineDepth = Math.min(depth, 8);
    const ind = tabs(lineDepth);
    const width = 76 - 8 * lineDepth;
    const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const parts = this.parts;
    const outer = tabs(depth);
    parts.push(`${outer}<data>\n`);
    for (let i = 0; i < b64.length; i += width) parts.push(`${ind}${b64.slice(i, i + width)}\n`);
    parts.push(`${outer}</data>\n`);
  }
}

export function encodeXmlPlist(value: PlistValue): Buffer {
  const w = new XmlWriter();
  w.parts.push(XML_PLIST_HEADER);
  w.write(value, 0);
  w.parts.push(XML_PLIST_FOOTER);
  return Buffer.from(w.parts.join(''), 'utf8');
}
