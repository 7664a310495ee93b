import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/cli/output-format.js';

describe('formatCount', () => {
  it('groups thousands with commas, like en-US', () => {
    for (const n of [0, 7, 999, 1000, 5006, 12345, 999999, 1000000, 123456789, -4200, Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US'));
    }
    expect(formatCount(1.5)).toBe('1.5');
  });
});
