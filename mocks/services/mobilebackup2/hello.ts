// `Hello`: agree on the mobilebackup2 protocol version (the highest both sides support).
import { plistNumber, real, type PlistDict } from '../../../protocols/index.js';

export const DEVICE_PROTOCOL_VERSIONS = [2.0, 2.1];

/** The Response dict for a Hello request, and the agreed version (undefined: none in common, ErrorCode 1). */
export function hello(request: PlistDict): { response: PlistDict; version?: number } {
  const offered = Array.isArray(request.SupportedProtocolVersions) ? request.SupportedProtocolVersions.map((v) => plistNumber(v)) : [];
  const common = DEVICE_PROTOCOL_VERSIONS.filter((v) => offered.some((o) => o !== undefined && Math.abs(o - v) < 1e-9));
  const version = common.length > 0 ? Math.max(...common) : undefined;
  if (version === undefined) {
    return { response: { MessageName: 'Response', ErrorCode: 1, ErrorDescription: 'No common supported protocol version' } };
  }
  return { response: { MessageName: 'Response', ErrorCode: 0, ProtocolVersion: real(version) }, version };
}
