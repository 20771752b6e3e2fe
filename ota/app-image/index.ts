// ESP32-family application images: parse and validate, from a buffer or as a stream.
// Left out: `decode.ts` (step helpers shared by the two parsers) and `memory-map.ts` tables.
export * from './app-image-info';
export * from './app-image-parser';
export * from './constants';
export * from './image-problem';
export * from './parse-app-image';
