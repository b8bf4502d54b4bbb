import { ParleyError } from './errors.js';
import type { Frame } from './types.js';

/**
 * Frame encodings (docs/protocol.md §1): `parley.v1.json` uses text frames, one JSON object
 * each; `parley.v1.msgpack` binary frames, one MessagePack map each, with the same keys.
 */
export interface Codec {
  /** The subprotocol offered in `Sec-WebSocket-Protocol`. */
  readonly protocol: 'parley.v1.json' | 'parley.v1.msgpack';
  /** Whether frames are binary (the socket then needs `binaryType = "arraybuffer"`). */
  readonly binary: boolean;
  encode(frame: Frame): string | Uint8Array;
  decode(data: unknown): Frame;
  /** Size in bytes of an encoded frame (checked against the server's frame limit). */
  byteLength(encoded: string | Uint8Array): number;
}

/** The MessagePack functions the SDK needs; `@msgpack/msgpack` provides them. */
export interface MsgpackModule {
  encode(value: unknown, options?: Record<string, unknown>): Uint8Array;
  decode(data: ArrayLike<number> | BufferSource, options?: Record<string, unknown>): unknown;
}

/** UTF-8 length of a string without encoding it (the server's limits are in UTF-8 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else n += 3;
  }
  return n;
}

function checkObject(v: unknown): Frame {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ParleyError('protocol', 'a frame must hold one object', { retryable: false });
  }
  return v as Frame;
}

export const jsonCodec: Codec = {
  protocol: 'parley.v1.json',
  binary: false,
  encode: (frame) => JSON.stringify(frame),
  decode(data) {
    if (typeof data !== 'string') {
      throw new ParleyError('protocol', 'binary frame on a JSON connection', { retryable: false });
    }
    return checkObject(JSON.parse(data));
  },
  byteLength: (encoded) => (typeof encoded === 'string' ? utf8Length(encoded) : encoded.byteLength),
};

/** Wraps a MessagePack implementation (e.g. `import * as msgpack from "@msgpack/msgpack"`). */
export function msgpackCodec(mp: MsgpackModule): Codec {
  return {
    protocol: 'parley.v1.msgpack',
    binary: true,
    // ignoreUndefined: an optional field left undefined is simply absent, as with JSON.
    encode: (frame) => mp.encode(frame, { ignoreUndefined: true }),
    decode(data) {
      let bytes: Uint8Array;
      if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
      else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      else throw new ParleyError('protocol', 'text frame on a MessagePack connection', { retryable: false });
      return checkObject(mp.decode(bytes));
    },
    byteLength: (encoded) => (typeof encoded === 'string' ? utf8Length(encoded) : encoded.byteLength),
  };
}
