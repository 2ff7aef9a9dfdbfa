// Protocol versions this build speaks. A peer offering none of these gets INCOMPATIBLE_PROTOCOL.
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOLS: readonly number[] = [1];
