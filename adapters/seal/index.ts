export { SealVerifier, type SealVerifierOptions } from './verifier.js';
export { KeySealer } from './sealer.js';
