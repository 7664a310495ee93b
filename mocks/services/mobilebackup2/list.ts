// `List`: the files of the source backup as CSV, read from its Manifest.db (printed by the host).
import { join } from 'node:path';
import { fileIdPath, readManifestDb, typeOfMode } from '../../manifest/index.js';
import { sourceUdid, withScratchDir, type CommandContext, type CommandResult } from './context.js';
import { downloadFiles, fileSink } from './download.js';
import { MBError, MBErrorCode } from './errors.js';

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const LIST_CSV_HEADER = 'Domain,RelativePath,FileID,Type,Size,Mode,LastModified,BackupPath';

export async function list(ctx: CommandContext): Promise<CommandResult> {
  const src = sourceUdid(ctx);
  return withScratchDir(ctx.device, async (scratch) => {
    const dbPath = join(scratch, 'Manifest.db');
    let got = false;
    await downloadFiles(ctx.dl, [`${src}/Manifest.db`], 0, () => fileSink(dbPath, () => (got = true)));
    if (!got) throw new MBError(MBErrorCode.NotFound, `No such file or directory at path ${src}/Manifest.db`);
    let rows;
    try {
      rows = readManifestDb(dbPath);
    } catch {
      throw new MBError(205, 'Error reading backup properties/database');
    }
    rows.sort((a, b) => (a.domain === b.domain ? (a.relativePath < b.relativePath ? -1 : 1) : a.domain < b.domain ? -1 : 1));
    const lines = [LIST_CSV_HEADER];
    for (const r of rows) {
      const rec = r.record;
      const type = rec ? (typeOfMode(rec.mode) ?? 'unknown') : 'unknown';
      const mode = rec ? (rec.mode & 0o7777).toString(8).padStart(4, '0') : '';
      lines.push(
        [r.domain, r.relativePath, r.fileID, type, rec?.size ?? 0, mode, rec ? new Date(rec.lastModified * 1000).toISOString() : '', type === 'file' ? fileIdPath(r.fileID) : '']
          .map(csvField)
          .join(','),
      );
    }
    return { ErrorCode: 0, Content: lines.join('\n') + '\n' };
  });
}
