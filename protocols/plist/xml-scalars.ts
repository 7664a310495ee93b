/**
 * The text forms of XML plist scalars: <integer>, <real>, <date>, <data>. Parsers return `undefined` for text
 * that is not valid; the XML decoder turns that into a positioned PLIST_MALFORMED error. No regular expressions
 * run on untrusted text, so no input can make these slow.
 */
import { INT64_MIN, UINT64_MAX } from './encode-value.js';

const MAX_NUMBER_TEXT = 1024;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

export function trimXmlSpace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isXmlSpace(s.charCodeAt(a))) a++;
  while (b > a && isXmlSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** `[+-]?digits` or `[+-]?0x hexdigits`, within −2^63 … 2^64−1. Safe integers come back as numbers. */
export function parseIntegerText(raw: string): number | bigint | undefined {
  const s = trimXmlSpace(raw);
  if (s.length === 0 || s.length > MAX_NUMBER_TEXT) return undefined;
  let i = 0;
  const sign = s.charCodeAt(0);
  if (sign === 0x2b || sign === 0x2d) i = 1;
  const negative = sign === 0x2d;
  let hex = false;
  if (s.charCodeAt(i) === 0x30 && (s.charCodeAt(i + 1) | 0x20) === 0x78) {
    hex = true;
    i += 2;
  }
  if (i >= s.length) return undefined;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (!(hex ? isHexDigit(c) : isDigit(c))) return undefined;
  }
  const digits = s.slice(i);
  if (!hex && digits.length <= 15) {
    const n = Number(digits);
    return negative ? (n === 0 ? 0 : -n) : n;
  }
  let big = BigInt(hex ? `0x${digits}` : digits);
  if (negative) big = -big;
  if (big < INT64_MIN || big > UINT64_MAX) return undefined;
  if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
  return big;
}

/** Decimal reals with optional exponent, plus nan / inf / infinity in any case with an optional sign. */
export function parseRealText(raw: string): number | undefined {
  const s = trimXmlSpace(raw);
  if (s.length === 0 || s.length > MAX_NUMBER_TEXT) return undefined;
  const lower = s.toLowerCase();
  switch (lower) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
  }
  let i = 0;
  if (s.charCodeAt(0) === 0x2b || s.charCodeAt(0) === 0x2d) i = 1;
  let mantissaDigits = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) {
    i++;
    mantissaDigits++;
  }
  if (s.charCodeAt(i) === 0x2e) {
    i++;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      i++;
      mantissaDigits++;
    }
  }
  if (mantissaDigits === 0) return undefined;
  if ((s.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++;
    let expDigits = 0;
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      i++;
      expDigits++;
    }
    if (expDigits === 0) return undefined;
  }
  if (i !== s.length) return undefined;
  return Number(s);
}

/**
 * C's `%.17g`, which libplist and Apple use for <real>: 17 significant digits, trailing zeros dropped,
 * exponent form below 1e-4 or from 1e17; zero is `0.0`. Non-finite values use Apple's spelling (`nan`,
 * `+infinity`, `-infinity`), as libplist does.
 */
export function formatRealText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return '+infinity';
  if (v === -Infinity) return '-infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0'; // libplist and Apple write zero as 0.0
  const e = v.toExponential(16); // "-d.dddddddddddddddde+X"
  const ePos = e.indexOf('e');
  const negative = e.charCodeAt(0) === 0x2d;
  const digits = e.slice(negative ? 1 : 0, ePos).replace('.', '');
  const exp = Number(e.slice(ePos + 1));
  let out: string;
  if (exp < -4 || exp >= 17) {
    const frac = stripZeros(digits.slice(1));
    const absExp = Math.abs(exp);
    out = `${digits[0]}${frac ? `.${frac}` : ''}e${exp < 0 ? '-' : '+'}${absExp < 10 ? '0' : ''}${absExp}`;
  } else if (exp >= 0) {
    const frac = stripZeros(digits.slice(exp + 1));
    out = `${digits.slice(0, exp + 1)}${frac ? `.${frac}` : ''}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${stripZeros(digits)}`;
  }
  return negative ? `-${out}` : out;
}

function stripZeros(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x30) end--;
  return s.slice(0, end);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds rounded down), or undefined for years outside 0000–9999. */
export function formatDateText(d: Date): string | undefined {
  const ms = d.getTime();
  const whole = new Date(Math.floor(ms / 1000) * 1000);
  const year = whole.getUTCFullYear();
  if (year < 0 || year > 9999) return undefined;
  return (
    `${pad(year, 4)}-${pad(whole.getUTCMonth() + 1, 2)}-${pad(whole.getUTCDate(), 2)}` +
    `T${pad(whole.getUTCHours(), 2)}:${pad(whole.getUTCMinutes(), 2)}:${pad(whole.getUTCSeconds(), 2)}Z`
  );
}

function fixedDigits(s: string, start: number, count: number): number | undefined {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; rejects impossible dates such as February 30. */
export function parseDateText(raw: string): Date | undefined {
  const s = trimXmlSpace(raw);
  if (s.length < 20 || s.length > 40) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[s.length - 1] !== 'Z') {
    return undefined;
  }
  const year = fixedDigits(s, 0, 4);
  const month = fixedDigits(s, 5, 2);
  const day = fixedDigits(s, 8, 2);
  const hour = fixedDigits(s, 11, 2);
  const minute = fixedDigits(s, 14, 2);
  const second = fixedDigits(s, 17, 2);
  if (year === undefined || month === undefined || day === undefined) return undefined;
  if (hour === undefined || minute === undefined || second === undefined) return undefined;
  let ms = 0;
  if (s.length > 20) {
    if (s[19] !== '.' || s.length === 21) return undefined;
    const fraction = s.slice(20, s.length - 1);
    if (fixedDigits(fraction, 0, fraction.length) === undefined) return undefined;
    ms = Math.floor(Number(`0.${fraction}`) * 1000);
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
  return date;
}

const BASE64_VALUES = (() => {
  const t = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/**
 * Strict base64 with whitespace anywhere (Apple wraps <data> lines). Padding may be present or absent but
 * `=` only at the end; a final group of a single character is invalid. Returns undefined when invalid.
 */
export function decodeBase64Text(raw: string): Buffer | undefined {
  const out = Buffer.allocUnsafe(Math.floor((raw.length * 3) / 4) + 3);
  let acc = 0;
  let bits = 0;
  let n = 0;
  let symbols = 0;
  let padding = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (isXmlSpace(c)) continue;
    if (c === 0x3d) {
      padding++;
      continue;
    }
    const v = c < 128 ? BASE64_VALUES[c]! : -1;
    if (v < 0 || padding > 0) return undefined;
    symbols++;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  const rest = symbols % 4;
  if (rest === 1) return undefined;
  if (padding > 0 && (padding > 2 || (rest + padding) % 4 !== 0)) return undefined;
  return Buffer.from(out.subarray(0, n));
}
