// Requests BackupAgent2 knows but this simulator does not implement, and unknown ones.
import type { CommandContext, CommandResult } from './context.js';
import { MBError, MBErrorCode } from './errors.js';

export async function noLongerSupported(ctx: CommandContext): Promise<CommandResult> {
  throw new MBError(MBErrorCode.Generic, `${String(ctx.request.MessageName)} is no longer supported`);
}

export async function notImplemented(ctx: CommandContext): Promise<CommandResult> {
  throw new MBError(MBErrorCode.Generic, `${String(ctx.request.MessageName)} is not supported by the simulated device`);
}

export async function unknownRequest(ctx: CommandContext): Promise<CommandResult> {
  throw new MBError(MBErrorCode.Generic, `Unknown request ${JSON.stringify(ctx.request.MessageName ?? null)}`);
}
