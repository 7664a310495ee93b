/** One JSON object per line (NDJSON) for machine consumers; bigints become numbers or strings. */
export function ndjsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
  )}\n`;
}

export class NdjsonWriter {
  constructor(private readonly out: NodeJS.WritableStream) {}
  write(value: unknown): void {
    this.out.write(ndjsonLine(value));
  }
}
