import { IBackupError } from '../errors.js';

/** What to tell the user for each error string lockdownd sends (`Error` key of a reply). */
const ADVICE: Record<string, { message: string; hint: string }> = {
  PasswordProtected: {
    message: 'the iPhone is locked',
    hint: 'Unlock the iPhone (enter its passcode), keep it unlocked, and try again.',
  },
  PairingDialogResponsePending: {
    message: 'the iPhone is waiting for you to trust this computer',
    hint: 'Tap “Trust” on the iPhone and enter its passcode.',
  },
  UserDeniedPairing: {
    message: 'pairing was refused on the iPhone (“Don’t Trust”)',
    hint: 'Unplug and reconnect the iPhone, run `ibackup pair` again and tap “Trust”.',
  },
  InvalidHostID: {
    message: 'the iPhone does not recognise this computer (its pairing was removed or reset)',
    hint: 'Pair again: run `ibackup unpair` then `ibackup pair`, and tap “Trust” on the iPhone.',
  },
  MissingHostID: { message: 'the request had no HostID', hint: 'Pair again with `ibackup pair`.' },
  MissingPairRecord: { message: 'the iPhone has no pairing record for this computer', hint: 'Pair again with `ibackup pair`.' },
  InvalidPairRecord: { message: 'the iPhone rejected the pairing record', hint: 'Pair again with `ibackup pair`.' },
  SavePairRecordFailed: { message: 'the iPhone could not save the pairing record', hint: 'Restart the iPhone and pair again.' },
  PairingProhibitedOverThisConnection: {
    message: 'pairing is not allowed over this connection',
    hint: 'Connect the iPhone with a USB cable to pair; Wi-Fi connections can only use an existing pairing.',
  },
  SessionInactive: { message: 'the lockdown session is no longer active', hint: 'Reconnect and try again.' },
  SessionActive: { message: 'a lockdown session is already active', hint: 'Reconnect and try again.' },
  InvalidSessionID: { message: 'the lockdown session ID was rejected', hint: 'Reconnect and try again.' },
  MissingSessionID: { message: 'the request had no session ID', hint: 'Reconnect and try again.' },
  InvalidService: {
    message: 'the device does not offer this service',
    hint: 'The service may not exist on this iOS version, or the device is not activated.',
  },
  MissingService: { message: 'no service name was given', hint: 'This is a bug in the caller; report it.' },
  ServiceProhibited: { message: 'the device refuses to start this service', hint: 'Unlock the iPhone; a profile (MDM) may forbid it.' },
  ServiceLimit: { message: 'too many connections to this service', hint: 'Close other tools using the device, reconnect it and try again.' },
  EscrowLocked: {
    message: 'the device has not been unlocked since it restarted',
    hint: 'Unlock the iPhone with its passcode once, then try again.',
  },
  GetProhibited: { message: 'the device refuses to reveal this value', hint: 'Pair with the device and unlock it first.' },
  SetProhibited: { message: 'the device refuses to change this value', hint: 'This value cannot be changed from a computer.' },
  RemoveProhibited: { message: 'the device refuses to remove this value', hint: 'This value cannot be removed from a computer.' },
  ImmutableValue: { message: 'this value cannot be changed', hint: 'Choose another key.' },
  MissingKey: { message: 'no key was given', hint: 'Give a key (--key).' },
  MissingValue: { message: 'the device has no such value', hint: 'Check the domain and key names.' },
  InvalidResponse: { message: 'the device did not understand the request', hint: 'Reconnect and try again.' },
  FMiPProtected: { message: 'Find My protects this operation', hint: 'Turn off Find My on the iPhone first.' },
  MCProtected: { message: 'a configuration profile forbids this operation', hint: 'Ask the device’s administrator (MDM).' },
  MCChallengeRequired: { message: 'a configuration profile requires a challenge for pairing', hint: 'Ask the device’s administrator (MDM).' },
  InvalidActivationRecord: { message: 'the device’s activation record is invalid', hint: 'Activate the device first.' },
  MissingActivationRecord: { message: 'the device is not activated', hint: 'Activate the device (finish its setup) first.' },
};

/**
 * An error reply from lockdownd. `code` is the device's error string itself (`UserDeniedPairing`, `InvalidHostID`,
 * …) so programs can switch on it; 'LOCKDOWN_FAILURE' when the device said only `Result: Failure`.
 */
export class LockdownError extends IBackupError {
  /** The request that failed (`Pair`, `StartSession`, …). */
  readonly request: string;
  /** The device's error string, verbatim. */
  readonly deviceError: string;

  constructor(request: string, deviceError: string, detail?: string) {
    const advice = ADVICE[deviceError];
    const what = advice ? advice.message : `lockdownd reported ${deviceError}`;
    const extra = detail ? ` — ${detail}` : '';
    super(deviceError === '' ? 'LOCKDOWN_FAILURE' : deviceError, `${request} failed: ${what} (${deviceError || 'Failure'})${extra}`, {
      hint: advice?.hint ?? 'Reconnect the device and try again.',
    });
    this.request = request;
    this.deviceError = deviceError;
  }
}

export function isLockdownError(err: unknown, deviceError?: string): err is LockdownError {
  return err instanceof LockdownError && (deviceError === undefined || err.deviceError === deviceError);
}
