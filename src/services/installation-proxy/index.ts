// CONTRACT STUB — implemented by the host connection stack (issue #4).
import type { PlistDict } from '../../../protocols/index.js';
import type { ServiceConnection } from '../../lockdown/device.js';

export const INSTALLATION_PROXY_SERVICE = 'com.apple.mobile.installation_proxy';

/** Browse installed apps ({ApplicationType:'User', ReturnAttributes:[…]}); resolves when Status is Complete. */
export declare function browseApplications(
  conn: ServiceConnection,
  options: { applicationType?: string; returnAttributes?: string[]; signal?: AbortSignal },
): Promise<PlistDict[]>;
