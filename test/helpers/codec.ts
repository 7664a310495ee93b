// Small helpers shared by the codec tests.
import { expect } from 'vitest';
import { ProtocolError } from '../../protocols/errors.js';

/** Bytes from a hex string; whitespace and newlines are ignored so vectors can be laid out like a dump. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The ProtocolError code `fn` throws (asserting it is a ProtocolError), or undefined when it does not throw. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return undefined;
}
