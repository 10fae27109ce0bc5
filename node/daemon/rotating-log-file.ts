import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogLimits } from '../home/log-limits.js';
import { logFiles, rotatedLogPath } from '../home/node-log.js';

/**
 * A log file bounded in size: lines are appended to `path` with synchronous writes; before
 * a line would take it past `maxSize` bytes, `path` becomes `path.1` (`path.1` becomes
 * `path.2` ..., the file past `maxFiles - 1` is deleted) and a new `path` is started. So the
 * log never holds more than `maxFiles` files of at most `maxSize` bytes each; a single line
 * longer than `maxSize` is cut to fit (and ends with a newline). A pino destination: pino
 * calls `write` once per line.
 *
 * Why not pino-roll: it rolls only after the stream drains, so a burst of synchronous
 * lines (a flood of refusals in one tick) goes past its bound into one file.
 */
export class RotatingLogFile {
  private fd: number;
  private size: number;

  /** Opens (appends to) `path`, creating its folder (0700) and the file (0600) when missing. */
  constructor(private readonly path: string, private readonly limits: LogLimits) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.fd = openSync(path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
    this.prune();
  }

  /** Appends one line (pino passes it with its newline). */
  write(line: string): boolean {
    let bytes = Buffer.byteLength(line);
    let data: string | Buffer = line;
    if (bytes > this.limits.maxSize) {
      data = Buffer.concat([Buffer.from(line).subarray(0, this.limits.maxSize - 1), Buffer.from('\n')]);
      bytes = data.length;
    }
    if (this.size > 0 && this.size + bytes > this.limits.maxSize) this.rotate();
    try {
      if (typeof data === 'string') writeSync(this.fd, data);
      else writeSync(this.fd, data);
      this.size += bytes;
    } catch {
      // A full disk or a removed folder must not take the node down; the line is lost.
    }
    return true;
  }

  /** Closes the file. */
  end(): void {
    closeSync(this.fd);
  }

  /** `path` -> `path.1` -> ... ; the oldest beyond the limit is deleted; a new `path` is opened. */
  private rotate(): void {
    closeSync(this.fd);
    const keep = this.limits.maxFiles - 1;
    try {
      if (keep === 0) {
        rmSync(this.path, { force: true });
      } else {
        rmSync(rotatedLogPath(this.path, keep), { force: true });
        for (let i = keep - 1; i >= 1; i--) renameIfPresent(rotatedLogPath(this.path, i), rotatedLogPath(this.path, i + 1));
        renameIfPresent(this.path, rotatedLogPath(this.path, 1));
      }
    } finally {
      this.fd = openSync(this.path, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    }
  }

  /** Deletes rotated files beyond the limit (left by a run with a higher `maxFiles`). */
  private prune(): void {
    for (const file of logFiles(this.path)) {
      if (file === this.path) continue;
      const n = Number(file.slice(this.path.length + 1));
      if (n > this.limits.maxFiles - 1) rmSync(file, { force: true });
    }
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
