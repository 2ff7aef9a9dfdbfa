// Protocol versions this build speaks. A peer offering none of these gets INCOMPATIBLE_PROTOCOL.
// 2 added GET_FILES, which clients of this build rely on: a version-1 daemon is refused at HELLO
// with one clear sentence rather than failing on every batch.
export const PROTOCOL_VERSION = 2;
export const SUPPORTED_PROTOCOLS: readonly number[] = [2];
