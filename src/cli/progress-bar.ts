import { formatBytes, formatCount, formatDuration, formatRate } from './output-format.js';

export interface ProgressLine {
  percent: number;
  bytesDone: number;
  filesDone: number;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
}

/**
 * A one-line progress bar for a terminal: redrawn in place with `\r`, at most every 100 ms; `message()` prints a
 * line above it (phase changes, passcode prompts) without garbling it.
 */
export class ProgressBar {
  private last: ProgressLine | undefined;
  private label = '';
  private drawnAt = 0;
  private visible = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { columns?: number },
    private readonly width = 30,
  ) {}

  setLabel(label: string): void {
    this.label = label;
    this.draw(true);
  }

  update(p: ProgressLine): void {
    this.last = p;
    this.draw(false);
  }

  message(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
    this.draw(true);
  }

  /** Remove the bar (before the summary or an error). */
  clear(): void {
    if (this.visible) this.out.write('\r\x1b[2K');
    this.visible = false;
  }

  render(p: ProgressLine): string {
    const pct = Math.max(0, Math.min(100, p.percent));
    const filled = Math.round((pct / 100) * this.width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}`;
    const eta = p.etaSeconds !== undefined && pct < 100 ? `  ETA ${formatDuration(p.etaSeconds)}` : '';
    return `${bar} ${pct.toFixed(1).padStart(5)}%  ${formatBytes(p.bytesDone)}  ${formatCount(p.filesDone)} files  ${formatRate(p.bytesPerSecond)}${eta}`;
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.drawnAt < 100) return;
    this.drawnAt = now;
    let line = this.last ? this.render(this.last) : '';
    if (this.label) line = line ? `${line}  ${this.label}` : this.label;
    if (!line) return;
    const cols = this.out.columns ?? 120;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.out.write(`\r\x1b[2K${line}`);
    this.visible = true;
  }
}
