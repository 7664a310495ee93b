/** The library's public face. */
export * from './errors.js';
