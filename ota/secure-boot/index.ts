// Secure Boot V2: signature sector and block layout, parse, encode, sign (streaming), verify.
export * from './constants';
export * from './crc32';
export * from './encode-signature-block';
export * from './image-signer';
export * from './signature-block';
export * from './verify-signature-block';
