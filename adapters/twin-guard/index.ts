export * from './audit.js';
export * from './checks.js';
export * from './demo.js';
export * from './executor.js';
export * from './guard.js';
export * from './profiles.js';
export * from './state.js';
export * from './cli.js';
