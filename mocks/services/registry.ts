// The lockdown services the simulated iPhone offers, by StartService name.
import { mobilebackup2Service } from './mobilebackup2/index.js';
import { afcService } from './afc.js';
import { diagnosticsRelayService } from './diagnostics-relay.js';
import { installationProxyService } from './installation-proxy.js';
import { notificationProxyService } from './notification-proxy.js';
import { springboardService } from './springboard.js';
import type { DeviceServiceHandler } from './types.js';

export const SERVICES: ReadonlyMap<string, DeviceServiceHandler> = new Map<string, DeviceServiceHandler>([
  ['com.apple.mobile.notification_proxy', notificationProxyService],
  ['com.apple.mobile.insecure_notification_proxy', notificationProxyService],
  ['com.apple.afc', afcService],
  ['com.apple.mobile.installation_proxy', installationProxyService],
  ['com.apple.springboardservices', springboardService],
  ['com.apple.mobile.diagnostics_relay', diagnosticsRelayService],
  ['com.apple.mobilebackup2', (conn, device) => mobilebackup2Service(conn, device)],
]);
