/** What `message.send` returns. */
export interface MessageSendResult {
  /** The route the message took, with `/node/NAME` resolved. */
  readonly route: string;
  /** The reply payload as UTF-8 text. */
  readonly reply: string;
  /** The reply payload's length in bytes. */
  readonly replyBytes: number;
  readonly elapsedMs: number;
}
