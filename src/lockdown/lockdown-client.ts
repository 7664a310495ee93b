import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { isPlistDict, plistNumber, type PlistDict, type PlistValue } from '../../protocols/index.js';
import { layerLogger } from '../log.js';
import { PlistConnection, TransportError, closeStream, resolveTimeouts, type Timeouts } from '../transport/index.js';
import { LockdownError } from './errors.js';
import { pairRecordToDict, type PairRecord } from './pair-record.js';
import { upgradeToTls } from './tls.js';

const log = layerLogger('lockdown');

export const LOCKDOWN_PORT = 62078;
export const LOCKDOWN_TYPE = 'com.apple.mobile.lockdown';

export interface LockdownClientOptions {
  label?: string;
  timeouts?: Partial<Timeouts>;
  /** Names the device in messages. */
  what?: string;
}

export interface StartedService {
  service: string;
  port: number;
  enableServiceSSL: boolean;
}

/**
 * The lockdownd protocol on one connection: requests are answered in order, so calls are queued.
 * StartSession may upgrade the connection to TLS; `close()` sends StopSession, close_notify and closes.
 */
export class LockdownClient {
  readonly label: string;
  readonly timeouts: Timeouts;
  private readonly conn: PlistConnection;
  private readonly raw: Duplex;
  private queue: Promise<unknown> = Promise.resolve();
  private session: { id: string; tls: boolean } | undefined;
  private closing: Promise<void> | undefined;

  constructor(stream: Duplex, opts: LockdownClientOptions = {}) {
    this.label = opts.label ?? 'ibackup';
    this.timeouts = resolveTimeouts(opts.timeouts);
    this.raw = stream;
    this.conn = new PlistConnection(stream, { what: opts.what ?? 'lockdownd' });
  }

  get sessionId(): string | undefined {
    return this.session?.id;
  }
  get sessionTls(): boolean {
    return this.session?.tls ?? false;
  }
  get closed(): boolean {
    return this.closing !== undefined || this.conn.closed;
  }

  private pending = 0;

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.queue.then(fn, fn).finally(() => {
      this.pending--;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Sends `{Label, Request, ...fields}` and checks the reply as libimobiledevice does. */
  request(name: string, fields: PlistDict = {}, signal?: AbortSignal, timeoutMs?: number): Promise<PlistDict> {
    return this.serialize(() => this.requestNow(name, fields, signal, timeoutMs));
  }

  private async requestNow(name: string, fields: PlistDict, signal?: AbortSignal, timeoutMs?: number): Promise<PlistDict> {
    if (this.closing) throw new TransportError('CONNECTION_CLOSED', `lockdownd ${name}: the connection is closed`);
    const msg: PlistDict = { Label: this.label, ...fields, Request: name };
    log.debug({ request: name, domain: fields.Domain, key: fields.Key }, 'lockdown request');
    const reply = await this.conn.request(msg, { timeoutMs: timeoutMs ?? this.timeouts.lockdownReplyMs, signal });
    if (!isPlistDict(reply)) {
      this.conn.destroy();
      throw new TransportError('MALFORMED_REPLY', `lockdownd ${name}: the reply is not a dictionary`);
    }
    if (name !== 'QueryType' && reply.Request !== name) {
      this.conn.destroy();
      throw new TransportError('MALFORMED_REPLY', `lockdownd ${name}: the reply answers '${String(reply.Request)}' instead`);
    }
    if (typeof reply.Error === 'string') throw new LockdownError(name, reply.Error, typeof reply.ErrorDescription === 'string' ? reply.ErrorDescription : undefined);
    if (reply.Result !== undefined && reply.Result !== 'Success') throw new LockdownError(name, '');
    return reply;
  }

  async queryType(signal?: AbortSignal): Promise<string> {
    const reply = await this.request('QueryType', {}, signal);
    if (typeof reply.Type !== 'string') throw new TransportError('MALFORMED_REPLY', 'lockdownd QueryType: the reply has no Type');
    return reply.Type;
  }

  async getValue(domain?: string, key?: string, signal?: AbortSignal): Promise<PlistValue | undefined> {
    const fields: PlistDict = {};
    if (domain) fields.Domain = domain;
    if (key) fields.Key = key;
    const reply = await this.request('GetValue', fields, signal);
    return reply.Value;
  }

  async setValue(domain: string | undefined, key: string, value: PlistValue, signal?: AbortSignal): Promise<void> {
    const fields: PlistDict = { Key: key, Value: value };
    if (domain) fields.Domain = domain;
    await this.request('SetValue', fields, signal);
  }

  async removeValue(domain: string | undefined, key: string, signal?: AbortSignal): Promise<void> {
    const fields: PlistDict = { Key: key };
    if (domain) fields.Domain = domain;
    await this.request('RemoveValue', fields, signal);
  }

  /** StartSession with the pair record; switches this connection to TLS when the device asks for it. */
  startSession(record: PairRecord, opts: { signal?: AbortSignal; maxTls10?: boolean } = {}): Promise<{ sessionId: string; tls: boolean }> {
    return this.serialize(async () => {
      const reply = await this.requestNow('StartSession', { HostID: record.HostID, SystemBUID: record.SystemBUID }, opts.signal);
      const sessionId = reply.SessionID;
      if (typeof sessionId !== 'string') throw new TransportError('MALFORMED_REPLY', 'lockdownd StartSession: the reply has no SessionID');
      const tls = reply.EnableSessionSSL === true;
      this.session = { id: sessionId, tls: false };
      if (tls) {
        const secure: TLSSocket = await upgradeToTls(this.conn.stream, { cert: record.HostCertificate, key: record.HostPrivateKey }, 'lockdownd', {
          timeoutMs: this.timeouts.tlsHandshakeMs,
          signal: opts.signal,
          maxTls10: opts.maxTls10,
        });
        this.conn.replaceStream(secure);
        this.session.tls = true;
        log.debug({ protocol: secure.getProtocol(), cipher: secure.getCipher().name }, 'lockdown session is TLS');
      }
      return { sessionId, tls };
    });
  }

  /** StopSession (if a session is active). The connection stays usable in TLS until `close()`. */
  async stopSession(signal?: AbortSignal): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    await this.request('StopSession', { SessionID: s.id }, signal);
  }

  async startService(service: string, opts: { escrowBag?: Uint8Array; signal?: AbortSignal } = {}): Promise<StartedService> {
    const fields: PlistDict = { Service: service };
    if (opts.escrowBag) fields.EscrowBag = Buffer.from(opts.escrowBag);
    const reply = await this.request('StartService', fields, opts.signal);
    const port = plistNumber(reply.Port);
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TransportError('MALFORMED_REPLY', `lockdownd StartService ${service}: the reply has no valid Port`);
    }
    return { service, port, enableServiceSSL: reply.EnableServiceSSL === true };
  }

  /** The pair record as Pair/ValidatePair send it (private keys stripped). */
  static publicPairRecord(record: PairRecord): PlistDict {
    const d = pairRecordToDict(record);
    return {
      DeviceCertificate: d.DeviceCertificate,
      HostCertificate: d.HostCertificate,
      HostID: d.HostID,
      RootCertificate: d.RootCertificate,
      SystemBUID: d.SystemBUID,
    };
  }

  /** Pair; resolves with the device's reply (EscrowBag). LockdownError for PairingDialogResponsePending etc. */
  async pair(record: PairRecord, signal?: AbortSignal): Promise<PlistDict> {
    return this.request(
      'Pair',
      { PairRecord: LockdownClient.publicPairRecord(record), ProtocolVersion: '2', PairingOptions: { ExtendedPairingErrors: true } },
      signal,
    );
  }

  async validatePair(record: PairRecord, signal?: AbortSignal): Promise<void> {
    await this.request('ValidatePair', { PairRecord: LockdownClient.publicPairRecord(record), ProtocolVersion: '2' }, signal);
  }

  async unpair(record: PairRecord | { HostID: string }, signal?: AbortSignal): Promise<void> {
    const pr = 'HostCertificate' in record ? LockdownClient.publicPairRecord(record) : { HostID: record.HostID };
    await this.request('Unpair', { PairRecord: pr, ProtocolVersion: '2' }, signal);
  }

  /** StopSession (bounded wait), TLS close_notify, close. Never rejects; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const s = this.session;
      this.session = undefined;
      // StopSession only when the connection is idle: a request still waiting for its answer means the device is
      // not answering, and the conversation is dropped instead.
      if (s && !this.conn.closed && this.pending === 0) {
        try {
          await this.requestStop(s.id);
        } catch (err) {
          log.debug({ err: (err as Error).message }, 'StopSession failed while closing');
        }
      }
      await this.conn.close();
      await closeStream(this.raw, 100);
    })();
    return this.closing;
  }

  private async requestStop(id: string): Promise<void> {
    const reply = await this.conn.request(
      { Label: this.label, Request: 'StopSession', SessionID: id },
      { timeoutMs: Math.min(this.timeouts.lockdownReplyMs, 10_000) },
    );
    if (isPlistDict(reply) && typeof reply.Error === 'string') throw new LockdownError('StopSession', reply.Error);
  }
}
