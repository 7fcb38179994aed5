/**
 * What the main thread's node:crypto backend and the Ed25519 worker threads share: the DER
 * wrappers that turn a raw Ed25519 seed / public key into PKCS#8 / SPKI (RFC 8410), as hex, and
 * how many KeyObjects each keeps (building one costs more than a signature; a bus uses few keys).
 */
export const PKCS8_PREFIX_HEX = '302e020100300506032b657004220420';
export const SPKI_PREFIX_HEX = '302a300506032b6570032100';
export const KEY_CACHE_LIMIT = 256;
