import { connect } from '../../lockdown/device.js';
import { plistToJson, type JsonValue } from '../../lockdown/plist-json.js';
import type { Command } from '../command.js';
import { reportDeviceError, udidOption } from './devices.js';

/** ideviceinfo-style text: `Key: value`, nested dicts/arrays indented. */
function formatText(v: JsonValue, indent = ''): string {
  if (v === null || typeof v !== 'object') return `${String(v)}\n`;
  const entries: [string, JsonValue][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v);
  let out = '';
  for (const [k, x] of entries) {
    if (x !== null && typeof x === 'object') out += `${indent}${k}:\n${formatText(x, `${indent}  `)}`;
    else out += `${indent}${k}: ${String(x)}\n`;
  }
  return out;
}

export const infoCommand: Command = {
  name: 'info',
  usage: 'ibackup info [-u UDID] [--domain DOMAIN] [--key KEY] [--json]',
  options: {
    udid: { type: 'string', short: 'u' },
    domain: { type: 'string', short: 'q' },
    key: { type: 'string', short: 'k' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const domain = typeof ctx.values.domain === 'string' ? ctx.values.domain : undefined;
    const key = typeof ctx.values.key === 'string' ? ctx.values.key : undefined;
    try {
      const dev = await connect(udidOption(ctx), {
        signal: ctx.signal,
        onPairingEvent: (e) => {
          if (e.type !== 'paired') ctx.stderr.write(`${e.message}\n`);
        },
      });
      try {
        const value = plistToJson(await dev.lockdown.getValue(domain, key, ctx.signal));
        if (ctx.values.json) ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
        else ctx.stdout.write(formatText(value));
        return 0;
      } finally {
        await dev.close();
      }
    } catch (err) {
      return reportDeviceError(ctx, 'info', err);
    }
  },
};
