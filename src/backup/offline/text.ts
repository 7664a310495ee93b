import type { BackupEntry } from '../reader/types.js';
export { formatBytes } from '../../format.js';

/** `ls -l` style mode string, e.g. `drwxr-xr-x`, `-rw-r--r--`, `lrwxr-xr-x`. */
export function formatMode(e: Pick<BackupEntry, 'type' | 'mode'>): string {
  const t = e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : '-';
  let s = '';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (e.mode >> shift) & 7;
    s += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return t + s;
}

/** `YYYY-MM-DD HH:MM` in UTC from seconds since the epoch. */
export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** Left-aligned text columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Writes to a stream, waiting for 'drain' when its buffer is full. */
export async function writeWithBackpressure(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}
