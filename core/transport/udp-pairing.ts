/**
 * The datagrams that pair two udx streams before a UDP connection carries frames
 * (docs/protocols.md, "UDP pairing"). Each is sent outside any stream on the node's UDP
 * socket:
 *
 * ```
 * OPEN    "SYMU" 0x01 version:u8 initiator:u32              the connecting side's stream id
 * ACCEPT  "SYMU" 0x02 version:u8 initiator:u32 responder:u32 the listener's stream id for it
 * REFUSE  "SYMU" 0x03 version:u8 initiator:u32              no stream (full, wrong version)
 * PUNCH   "SYMU" 0x04 version:u8 nonce:u32                  opens the sender's NAT toward a peer; ignored
 * ```
 *
 * All integers big-endian. The connecting side repeats OPEN until ACCEPT or REFUSE comes
 * back from the address it dialed; a listener answers a repeated OPEN (same source address
 * and initiator id) with the same ACCEPT. udx's own packets start with 0xff, so they never
 * look like these.
 */

/** Version of the pairing datagrams and of the frames that follow on the stream. */
export const UDP_PAIRING_VERSION = 1;

const MAGIC = [0x53, 0x59, 0x4d, 0x55]; // "SYMU"

/** Kinds of pairing datagram. */
export const OPEN = 1;
export const ACCEPT = 2;
export const REFUSE = 3;
export const PUNCH = 4;

/** A decoded pairing datagram. */
export interface PairingDatagram {
  readonly kind: typeof OPEN | typeof ACCEPT | typeof REFUSE | typeof PUNCH;
  readonly version: number;
  /** Stream id of the connecting side. */
  readonly initiator: number;
  /** Stream id of the listening side (ACCEPT only; 0 otherwise). */
  readonly responder: number;
}

/** Encodes one pairing datagram. */
export function encodePairing(kind: PairingDatagram['kind'], initiator: number, responder = 0, version = UDP_PAIRING_VERSION): Buffer {
  const out = Buffer.alloc(kind === ACCEPT ? 14 : 10);
  out.set(MAGIC, 0);
  out[4] = kind;
  out[5] = version;
  out.writeUInt32BE(initiator >>> 0, 6);
  if (kind === ACCEPT) out.writeUInt32BE(responder >>> 0, 10);
  return out;
}

/** Decodes a datagram; undefined for anything that is not exactly a pairing datagram. */
export function decodePairing(bytes: Uint8Array): PairingDatagram | undefined {
  if (bytes.length !== 10 && bytes.length !== 14) return undefined;
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return undefined;
  const kind = bytes[4];
  if (kind !== OPEN && kind !== ACCEPT && kind !== REFUSE && kind !== PUNCH) return undefined;
  if ((kind === ACCEPT) !== (bytes.length === 14)) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const initiator = view.readUInt32BE(6);
  const responder = kind === ACCEPT ? view.readUInt32BE(10) : 0;
  if (initiator === 0 || (kind === ACCEPT && responder === 0)) return undefined;
  return { kind, version: bytes[5]!, initiator, responder };
}
