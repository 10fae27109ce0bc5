import pkcs11js from 'pkcs11js';
import { AbortedError } from '../../core/errors.js';
import { ckrName, mapPkcs11Error } from './pkcs11-errors.js';

interface PooledSession {
  readonly handle: pkcs11js.Handle;
  tail: Promise<void>;
  pending: number;
}

/**
 * A few logged-in sessions on one token, each used by one operation at a time.
 * PKCS#11 sessions hold operation state (C_SignInit then C_Sign; C_FindObjectsInit ...
 * C_FindObjectsFinal), so every multi-call operation runs under its session's lock;
 * concurrent callers spread over the least busy sessions.
 */
export class SessionPool {
  private readonly sessions: PooledSession[] = [];
  private closed = false;

  private constructor(private readonly lib: pkcs11js.PKCS11, private readonly tokenLabel: string) {}

  /** Opens `size` read-write sessions on `slot` and logs the user in with `pin`. */
  static open(lib: pkcs11js.PKCS11, slot: pkcs11js.Handle, tokenLabel: string, size: number, pin: string): SessionPool {
    const pool = new SessionPool(lib, tokenLabel);
    try {
      for (let i = 0; i < size; i++) {
        const handle = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
        pool.sessions.push({ handle, tail: Promise.resolve(), pending: 0 });
      }
      try {
        lib.C_Login(pool.sessions[0]!.handle, pkcs11js.CKU_USER, pin);
      } catch (error) {
        if (ckrName(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw error;
      }
    } catch (error) {
      pool.closeSessions();
      throw mapPkcs11Error(error, tokenLabel, 'login');
    }
    return pool;
  }

  /** Runs `fn` with exclusive use of one session. An abort while waiting rejects with AbortedError. */
  async run<T>(fn: (session: pkcs11js.Handle) => T | Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AbortedError('vault');
    if (this.closed) throw new AbortedError('vault', `vault on token "${this.tokenLabel}" is closed`);
    const s = this.sessions.reduce((a, b) => (b.pending < a.pending ? b : a));
    s.pending++;
    const previous = s.tail;
    let release!: () => void;
    s.tail = new Promise<void>((resolve) => { release = resolve; });
    try {
      await previous;
      if (signal?.aborted) throw new AbortedError('vault');
      if (this.closed) throw new AbortedError('vault', `vault on token "${this.tokenLabel}" is closed`);
      return await fn(s.handle);
    } finally {
      s.pending--;
      release();
    }
  }

  /** Waits for running operations, then closes every session (the last close logs out). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.sessions.map((s) => s.tail));
    this.closeSessions();
  }

  private closeSessions(): void {
    for (const s of this.sessions.splice(0)) {
      try { this.lib.C_CloseSession(s.handle); } catch { /* already closed */ }
    }
  }
}
