import { InvalidInputError } from '../../errors.js';
import type { CipherState } from './cipher-state.js';
import { TAGLEN } from './cipher-functions.js';
import { NoiseDecryptError, NoiseStateError } from './noise-errors.js';
import { cipherOfProtocol } from './protocol-name.js';
import { SymmetricState } from './symmetric-state.js';
import { DHLEN, X25519KeyPair, type LocalStaticKey } from './x25519.js';

/** Noise's maximum message length (spec section 3). */
export const MAX_MESSAGE_LENGTH = 65535;

type Token = 'e' | 's' | 'ee' | 'es' | 'se';

/** The XX message patterns (spec section 7.5): no pre-messages. */
const XX: readonly (readonly Token[])[] = [
  ['e'], //                 -> e
  ['e', 'ee', 's', 'es'], // <- e, ee, s, es
  ['s', 'se'], //           -> s, se
];

/** What a handshake yields once its last message is written or read. */
export interface HandshakeResult {
  readonly protocolName: string;
  /** True on the side that sent message 1. */
  readonly initiator: boolean;
  /** `h` after the last handshake message: the channel-binding value. */
  readonly handshakeHash: Uint8Array;
  /** The peer's static public key `rs` (authenticated by the handshake). */
  readonly remoteStaticKey: Uint8Array;
  /** Split() CipherState this side encrypts with (c1 for the initiator, c2 for the responder). */
  readonly send: CipherState;
  /** Split() CipherState this side decrypts with. */
  readonly receive: CipherState;
}

/** Parameters of `Initialize(...)`. */
export interface HandshakeParams {
  readonly protocolName: string;
  readonly initiator: boolean;
  readonly prologue: Uint8Array;
  /** `s`: the local static key (its private half may live in a vault). */
  readonly s: LocalStaticKey;
  /** `e`: an injected ephemeral key (test vectors); generated when absent. */
  readonly e?: X25519KeyPair;
}

/**
 * Noise `HandshakeState` (spec section 5.3) for the XX pattern: the SymmetricState plus
 * `s`, `e`, `rs`, `re`, and the position in the message patterns. Does no I/O.
 * On any failure, and when the handshake completes, every secret it holds is dropped
 * (`ck` zeroed, `e` destroyed); the object is then unusable.
 */
export class HandshakeState {
  private readonly ss: SymmetricState;
  private readonly s: LocalStaticKey;
  private e: X25519KeyPair | null;
  private rs: Uint8Array | null = null;
  private re: Uint8Array | null = null;
  private patternIndex = 0;
  private destroyed = false;

  /** `Initialize(handshake_pattern = XX, initiator, prologue, s, e)`. */
  constructor(private readonly params: HandshakeParams) {
    const cipher = cipherOfProtocol(params.protocolName);
    if (cipher === undefined) throw new InvalidInputError('channel', `unsupported Noise protocol ${params.protocolName}`);
    this.ss = new SymmetricState(params.protocolName, cipher);
    this.ss.mixHash(params.prologue);
    this.s = params.s;
    this.e = params.e ?? null;
  }

  /** Whether the next message is ours to write. */
  isMyTurn(): boolean {
    return (this.patternIndex % 2 === 0) === this.params.initiator;
  }

  /**
   * `WriteMessage(payload, message_buffer)`: processes the next pattern's tokens and
   * appends EncryptAndHash(payload). Returns the message and, after the last pattern,
   * the Split() result.
   */
  writeMessage(payload: Uint8Array): { message: Uint8Array; result?: HandshakeResult } {
    this.checkTurn(true);
    return this.guard(() => {
      const parts: Uint8Array[] = [];
      for (const token of XX[this.patternIndex]!) {
        if (token === 'e') {
          this.e ??= X25519KeyPair.generate();
          parts.push(this.e.publicKey);
          this.ss.mixHash(this.e.publicKey);
        } else if (token === 's') {
          parts.push(this.ss.encryptAndHash(this.s.publicKey));
        } else {
          this.mixDh(token);
        }
      }
      parts.push(this.ss.encryptAndHash(payload));
      const message = Buffer.concat(parts);
      if (message.length > MAX_MESSAGE_LENGTH) throw new InvalidInputError('channel', 'handshake message exceeds 65535 bytes');
      this.patternIndex++;
      return { message, ...this.finishIfDone() };
    });
  }

  /**
   * `ReadMessage(message, payload_buffer)`: processes the next pattern's tokens from
   * `message` and returns DecryptAndHash(rest) as the payload and, after the last
   * pattern, the Split() result. Throws NoiseDecryptError on a malformed or forged message.
   */
  readMessage(message: Uint8Array): { payload: Uint8Array; result?: HandshakeResult } {
    this.checkTurn(false);
    return this.guard(() => {
      if (message.length > MAX_MESSAGE_LENGTH) throw new NoiseDecryptError('handshake message exceeds 65535 bytes');
      let offset = 0;
      const take = (len: number, what: string): Uint8Array => {
        if (message.length - offset < len) throw new NoiseDecryptError(`handshake message ${this.patternIndex + 1} too short for ${what}`);
        const part = message.subarray(offset, offset + len);
        offset += len;
        return part;
      };
      for (const token of XX[this.patternIndex]!) {
        if (token === 'e') {
          this.re = new Uint8Array(take(DHLEN, 'e'));
          this.ss.mixHash(this.re);
        } else if (token === 's') {
          const temp = take(this.ss.hasKey() ? DHLEN + TAGLEN : DHLEN, 's');
          this.rs = new Uint8Array(this.ss.decryptAndHash(temp));
        } else {
          this.mixDh(token);
        }
      }
      const payload = this.ss.decryptAndHash(message.subarray(offset));
      this.patternIndex++;
      return { payload: new Uint8Array(payload), ...this.finishIfDone() };
    });
  }

  /** The peer's static key once received (after message 2 for the initiator, 3 for the responder). */
  remoteStaticKey(): Uint8Array | null {
    return this.rs === null ? null : new Uint8Array(this.rs);
  }

  /** Drops every secret (ck, the handshake key, e). Idempotent. */
  destroy(): void {
    this.destroyed = true;
    this.ss.destroy();
    this.e?.destroy();
    this.e = null;
  }

  /** `ee`, `es`, `se`: MixKey(DH(...)) with the roles the spec gives initiator and responder. */
  private mixDh(token: 'ee' | 'es' | 'se'): void {
    const initiator = this.params.initiator;
    let local: LocalStaticKey | null;
    let remote: Uint8Array | null;
    if (token === 'ee') [local, remote] = [this.e, this.re]; // DH(e, re)
    else if (token === 'es') [local, remote] = initiator ? [this.e, this.rs] : [this.s, this.re]; // DH(e, rs) / DH(s, re)
    else [local, remote] = initiator ? [this.s, this.re] : [this.e, this.rs]; // DH(s, re) / DH(e, rs)
    if (local === null || remote === null) throw new NoiseStateError(`missing key for ${token}`);
    const shared = local.dh(remote);
    try {
      this.ss.mixKey(shared);
    } finally {
      shared.fill(0);
    }
  }

  private finishIfDone(): { result?: HandshakeResult } {
    if (this.patternIndex < XX.length) return {};
    const handshakeHash = this.ss.getHandshakeHash();
    const [c1, c2] = this.ss.split();
    this.destroy();
    const initiator = this.params.initiator;
    return {
      result: {
        protocolName: this.params.protocolName,
        initiator,
        handshakeHash,
        remoteStaticKey: new Uint8Array(this.rs!),
        send: initiator ? c1 : c2,
        receive: initiator ? c2 : c1,
      },
    };
  }

  private checkTurn(writing: boolean): void {
    if (this.destroyed || this.patternIndex >= XX.length) throw new NoiseStateError('handshake already finished');
    if (this.isMyTurn() !== writing) throw new NoiseStateError(writing ? 'not our turn to write' : 'not our turn to read');
  }

  private guard<T>(step: () => T): T {
    try {
      return step();
    } catch (err) {
      this.destroy();
      throw err;
    }
  }
}
