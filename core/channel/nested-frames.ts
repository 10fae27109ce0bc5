/**
 * Which routed payloads on this node are transport frames of a secure channel: those a
 * channel's encryptor produced, and the inner frames a decryptor took out of pass-through
 * frames. A channel whose peer accepts pass-through frames carries such a payload without
 * encrypting it again (docs/protocols.md, "Pass-through frames"). The mark is the payload
 * object itself (local to this process, never on the wire): a copy, or bytes a worker
 * made, are not marked and are sealed in full.
 */
const frames = new WeakSet<Uint8Array>();

/** Marks `frame` as a secure channel's transport frame. */
export function markNestedFrame(frame: Uint8Array): void {
  frames.add(frame);
}

/** True when `payload` is a frame marked by {@link markNestedFrame}. */
export function isNestedFrame(payload: Uint8Array): boolean {
  return frames.has(payload);
}
