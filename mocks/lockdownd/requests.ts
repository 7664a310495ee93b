// lockdownd request handling on the simulated device. Every reply echoes `Request` (libimobiledevice 1.3.0
// rejects a reply without it). Errors use lockdownd's error strings (protocol reference §3.2).
import { randomUUID } from 'node:crypto';
import { type PlistDict } from '../../protocols/index.js';
import type { PairedHost } from '../device/pairing-state.js';
import type { SimulatedDevice } from '../device/sim-device.js';
import { handlePair, handleUnpair, handleValidatePair } from './pairing.js';

export const LOCKDOWN_PORT = 62078;
export const MOBILEBACKUP2 = 'com.apple.mobilebackup2';

export interface LockdownSession {
  id: string;
  host: PairedHost;
  ssl: boolean;
}

export interface LockdownConnState {
  session?: LockdownSession;
}

export interface LockdownOutcome {
  reply: PlistDict;
  /** After writing the reply: start TLS (StartSession with SSL), or close the connection (Goodbye). */
  then?: 'tls' | 'close';
}

export interface LockdownContext {
  device: SimulatedDevice;
  isKnownService(name: string): boolean;
}

const err = (request: string, error: string): LockdownOutcome => ({ reply: { Request: request, Error: error } });

function getValue(req: PlistDict, device: SimulatedDevice): LockdownOutcome {
  const domain = typeof req.Domain === 'string' ? req.Domain : '';
  const key = typeof req.Key === 'string' ? req.Key : undefined;
  const echo: PlistDict = { Request: 'GetValue', Domain: req.Domain, Key: req.Key };
  if (key === undefined) {
    return { reply: { ...echo, Value: device.getValue(domain) ?? {} } };
  }
  const value = device.getValue(domain, key);
  if (value === undefined) return { reply: { ...echo, Error: 'MissingValue' } };
  return { reply: { ...echo, Value: value } };
}

function setValue(req: PlistDict, device: SimulatedDevice, remove: boolean): LockdownOutcome {
  const request = remove ? 'RemoveValue' : 'SetValue';
  const domain = typeof req.Domain === 'string' ? req.Domain : '';
  if (typeof req.Key !== 'string') return err(request, 'MissingKey');
  if (!remove && req.Value === undefined) return err(request, 'MissingValue');
  if (domain === '' && ['UniqueDeviceID', 'ProductVersion', 'ProductType', 'SerialNumber'].includes(req.Key)) {
    return err(request, remove ? 'RemoveProhibited' : 'ImmutableValue');
  }
  device.setValue(domain, req.Key, remove ? undefined : req.Value);
  return { reply: { Request: request, Domain: req.Domain, Key: req.Key } };
}

function startSession(req: PlistDict, device: SimulatedDevice, state: LockdownConnState): LockdownOutcome {
  if (state.session) return err('StartSession', 'SessionActive');
  if (typeof req.HostID !== 'string') return err('StartSession', 'MissingHostID');
  const host = device.pairedHost(req.HostID);
  if (!host) return err('StartSession', 'InvalidHostID');
  const ssl = device.sessionSSL;
  state.session = { id: randomUUID().toUpperCase(), host, ssl };
  return {
    reply: { Request: 'StartSession', SessionID: state.session.id, EnableSessionSSL: ssl },
    then: ssl ? 'tls' : undefined,
  };
}

function stopSession(req: PlistDict, state: LockdownConnState): LockdownOutcome {
  if (typeof req.SessionID !== 'string') return err('StopSession', 'MissingSessionID');
  if (!state.session || state.session.id !== req.SessionID) return err('StopSession', 'InvalidSessionID');
  state.session = undefined;
  return { reply: { Request: 'StopSession' } };
}

function startService(req: PlistDict, ctx: LockdownContext, state: LockdownConnState): LockdownOutcome {
  const { device } = ctx;
  const name = req.Service;
  if (typeof name !== 'string' || !name) return err('StartService', 'MissingService');
  if (!state.session) return err('StartService', 'SessionInactive');
  if (!ctx.isKnownService(name)) return { reply: { Request: 'StartService', Service: name, Error: 'InvalidService' } };
  if (name === MOBILEBACKUP2) {
    const bag = req.EscrowBag;
    if (!(bag instanceof Uint8Array) || !Buffer.from(bag).equals(state.session.host.escrowBag)) {
      return { reply: { Request: 'StartService', Service: name, Error: 'EscrowLocked' } };
    }
  }
  const ssl = device.serviceSSL[name] ?? false;
  const port = device.grantServicePort({
    service: name,
    ssl,
    tls: { certPem: state.session.host.deviceCertPem, keyPem: device.keys.privateKeyPem },
  });
  return { reply: { Request: 'StartService', Service: name, Port: port, EnableServiceSSL: ssl } };
}

export function handleLockdownRequest(
  req: PlistDict,
  ctx: LockdownContext,
  state: LockdownConnState,
): LockdownOutcome {
  const request = typeof req.Request === 'string' ? req.Request : '';
  const { device } = ctx;
  switch (request) {
    case 'QueryType':
      return { reply: { Request: 'QueryType', Type: 'com.apple.mobile.lockdown' } };
    case 'GetValue':
      return getValue(req, device);
    case 'SetValue':
      return setValue(req, device, false);
    case 'RemoveValue':
      return setValue(req, device, true);
    case 'Pair':
      return { reply: handlePair(req, device) };
    case 'ValidatePair':
      return { reply: handleValidatePair(req, device) };
    case 'Unpair':
      return { reply: handleUnpair(req, device, state.session?.host.hostId) };
    case 'StartSession':
      return startSession(req, device, state);
    case 'StopSession':
      return stopSession(req, state);
    case 'StartService':
      return startService(req, ctx, state);
    case 'Goodbye':
      return { reply: { Request: 'Goodbye', Result: 'Success' }, then: 'close' };
    case '':
      return { reply: { Error: 'MissingRequest', Result: 'Failure' } };
    default:
      return err(request, 'InvalidRequest');
  }
}
