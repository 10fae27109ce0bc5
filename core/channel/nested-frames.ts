/**
 * Which routed payloads on this node are transport frames of a secure channel: those a
 * channel's encryptor produced, and the inner frames a decryptor took out of pass-through
 * frames. A channel whose peer accepts pass-through frames carries such a payload without
 * encrypting it again (docs/protocols.md, "Pass-through frames"). The mark is the payload
 * object itself (local to this process, never on the wire): a copy, or bytes a worker
 * made, are not marked and are sealed in full.
 *
 * A frame may come with spare bytes in front of it in its ArrayBuffer (its headroom), which
 * belong to nobody else: the first channel that passes it through may write its header
 * there instead of copying the frame. The headroom is handed out once.
 */
const frames = new WeakMap<Uint8Array, number>();

/** Marks `frame` as a secure channel's transport frame, with `headroom` spare bytes in front of it. */
export function markNestedFrame(frame: Uint8Array, headroom = 0): void {
  frames.set(frame, headroom);
}

/** True when `payload` is a frame marked by {@link markNestedFrame}. */
export function isNestedFrame(payload: Uint8Array): boolean {
  return frames.has(payload);
}

/** The headroom of a marked frame, handed out once: later calls (and unmarked payloads) get 0. */
export function takeHeadroom(frame: Uint8Array): number {
  const headroom = frames.get(frame) ?? 0;
  if (headroom !== 0) frames.set(frame, 0);
  return headroom;
}
