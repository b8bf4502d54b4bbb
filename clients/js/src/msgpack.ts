/**
 * Optional entry point `msgpack.js`: the MessagePack codec (subprotocol `parley.v1.msgpack`).
 *
 * It imports no library itself (the SDK must run from a plain copy of `dist/` without a
 * bundler, so it has no bare imports): the caller passes the MessagePack implementation.
 *
 * ```ts
 * import * as mp from '@msgpack/msgpack';
 * import { msgpackCodec } from '@parley/client/msgpack';
 * const client = connect({ url, getToken, codec: msgpackCodec(mp) });
 * ```
 */
export { msgpackCodec, type MsgpackModule, type Codec } from './codec.js';
