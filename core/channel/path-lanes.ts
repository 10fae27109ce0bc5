import type { Message } from '../routing/message.js';

/** The two ways an end-to-end channel's frames may travel: the route it was made on, or a direct path. */
export type ChannelLane = 'relay' | 'direct';

/** Frames of the inactive lane held at most, in count and bytes; past either the lanes flip (see PathLanes.hold). */
export const MAX_HELD_FRAMES = 4096;
export const MAX_HELD_BYTES = 32 * 1024 * 1024;
/**
 * Frames sent on the direct lane kept for a resend on the relay lane, in count and bytes:
 * four portal sessions' full credit windows (512 KiB each), and a burst the relay's
 * transports take without closing for buffering (8 MiB). When more was in flight, the
 * receiver sees the gap and closes the channel rather than deliver a stream with a hole.
 */
export const MAX_RESEND_FRAMES = 512;
export const MAX_RESEND_BYTES = 2 * 1024 * 1024;

/**
 * Receive and resend bookkeeping of a channel whose frames can move between two lanes
 * without reordering (docs/protocols.md, "Direct paths"). Each lane is reliable and ordered
 * by itself; only the moment of a switch could reorder. So the receiver delivers from one
 * lane at a time (`active`): frames that arrive on the other lane wait here until the
 * sender's SWITCH frame, the last it sent on the active lane, has been delivered, or until
 * the direct lane is known dead. The sender keeps its last frames sent on the direct lane,
 * to send them again on the relay lane when the direct lane dies (the peer's replay window
 * drops the copies it already has).
 */
export class PathLanes {
  /** The lane frames are delivered from now. */
  active: ChannelLane = 'relay';
  private held: Message[] = [];
  private heldBytes = 0;
  private resend: Uint8Array[] = [];
  private resendBytes = 0;

  /** Frames waiting on the inactive lane now. */
  get heldFrames(): number {
    return this.held.length;
  }

  /**
   * Holds a frame of the inactive lane. Returns false when the bounds are past: the caller
   * then treats the active lane as dead (only a sender that gave up on it sends this much
   * on the other lane).
   */
  hold(message: Message): boolean {
    this.held.push(message);
    this.heldBytes += message.payload.length;
    return this.held.length <= MAX_HELD_FRAMES && this.heldBytes <= MAX_HELD_BYTES;
  }

  /** Makes `lane` active and hands back the frames held for it, oldest first. */
  activate(lane: ChannelLane): Message[] {
    this.active = lane;
    const frames = this.held;
    this.held = [];
    this.heldBytes = 0;
    return frames;
  }

  /** Remembers a frame sent on the direct lane (bounded: the oldest go first). */
  sentDirect(frame: Uint8Array): void {
    this.resend.push(frame);
    this.resendBytes += frame.length;
    while (this.resend.length > MAX_RESEND_FRAMES || this.resendBytes > MAX_RESEND_BYTES) {
      this.resendBytes -= this.resend.shift()!.length;
    }
  }

  /** The frames to send again on the relay lane, oldest first; forgets them. */
  takeResend(): Uint8Array[] {
    const frames = this.resend;
    this.resend = [];
    this.resendBytes = 0;
    return frames;
  }

  /** Forgets the resend frames (the direct lane was left in order, so none can be missing). */
  clearResend(): void {
    this.resend = [];
    this.resendBytes = 0;
  }

  /** Drops everything (channel closed). */
  clear(): void {
    this.held = [];
    this.heldBytes = 0;
    this.clearResend();
  }
}
