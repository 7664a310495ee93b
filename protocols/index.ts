export * from './errors.js';
export * from './stream.js';
export * from './plist/index.js';
export * from './usbmux.js';
export * from './lockdown-frame.js';
export * from './devicelink.js';
export * from './mb2-filestream.js';
export * from './afc.js';
