// CONTRACT STUB — implemented by the mobilebackup2 device-side work (issue #3).
import type { SimServiceHandler } from '../../types.js';

export const mobilebackup2Service: SimServiceHandler = (conn) => {
  conn.destroy(new Error('mobilebackup2 not implemented'));
};
