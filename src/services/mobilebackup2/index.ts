export * from './client.js';
export * from './devicelink.js';
export * from './dl-loop.js';
export * from './errno.js';
export * from './host-context.js';
export { AtomicFileWriter, isTempFileName, TEMP_FILE_PREFIX } from './atomic-file.js';
export * from './handlers/index.js';
export { StagedWriteWorker } from './staged-write-worker.js';
