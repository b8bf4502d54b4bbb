/**
 * Client message ids (`cid`, ≤ 64 bytes). They make `send` idempotent: the broker stores a
 * (room, sender, cid) once, so they must not collide between a user's tabs or devices.
 * 128 random bits, hex: 32 bytes on the wire.
 */
export function newCid(): string {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  const bytes = new Uint8Array(16);
  // getRandomValues exists in every browser (also outside secure contexts, unlike
  // randomUUID) and in Node 20; Math.random is the last resort for exotic runtimes.
  if (c && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
