// What the simulated device remembers about the hosts it has paired with (lockdownd's pairing records).

export interface PairedHost {
  hostId: string;
  systemBUID: string;
  rootCertPem: string;
  hostCertPem: string;
  /** The device certificate the host made over our public key (the TLS server certificate for this host). */
  deviceCertPem: string;
  escrowBag: Buffer;
}

export interface PairedHostJson {
  hostId: string;
  systemBUID: string;
  rootCertPem: string;
  hostCertPem: string;
  deviceCertPem: string;
  escrowBag: string; // base64
}

export function pairedHostToJson(h: PairedHost): PairedHostJson {
  return { ...h, escrowBag: h.escrowBag.toString('base64') };
}

export function pairedHostFromJson(j: PairedHostJson): PairedHost {
  return { ...j, escrowBag: Buffer.from(j.escrowBag, 'base64') };
}
