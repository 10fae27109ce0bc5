import type { WithIsoTimes } from './iso-time.js';
import type { KafkaInletStatus } from '../../core/kafka/kafka-inlet.js';
import type { KafkaOutletStatus } from '../../core/kafka/kafka-outlet.js';

/** One Kafka outlet as persisted in the node configuration. */
export interface KafkaOutletRecord {
  /** Worker address of the bootstrap outlet (brokers at `ADDRESS_broker_ID`). */
  readonly address: string;
  /** The Kafka bootstrap server `HOST:PORT`. */
  readonly bootstrap: string;
  /** The `--allow` expression stored as the outlet's resource policy, if one was given. */
  readonly allow?: string;
  /** The `--produce-allow` expression stored as the node's `kafka-produce` policy, if one was given. */
  readonly produceAllow?: string;
  readonly createdAt: string;
}

/** What the `kafka-outlet.*` methods report about an outlet. */
export interface KafkaOutletView extends KafkaOutletRecord {
  readonly status?: WithIsoTimes<KafkaOutletStatus, 'lastErrorAt' | 'refreshedAt'>;
}

/** What `kafka-outlet.list` returns. */
export interface KafkaOutletList {
  readonly outlets: readonly KafkaOutletView[];
}

/** One Kafka inlet as persisted in the node configuration. Its name is its listen address. */
export interface KafkaInletRecord {
  readonly listen: string;
  readonly via?: string;
  readonly to?: string;
  /** Bootstrap outlet address on the far node. */
  readonly outlet: string;
  readonly allow?: string;
  /** Whether record values are encrypted on produce and decrypted on fetch (default true). */
  readonly encrypt: boolean;
  /** Encrypt only these top-level fields of JSON object values (`--encrypted-field`); other values whole. */
  readonly encryptedFields?: readonly string[];
  /** Most bytes of one Kafka frame the inlet reads. */
  readonly maxFrameBytes?: number;
  /** A topic's data key is replaced once it is this old when this inlet seals with it (`--key-rotation`; default 1 h). */
  readonly keyRotationSeconds?: number;
  /** Keys this inlet makes are kept this long (`--key-retention`; default 7 days). */
  readonly keyRetentionSeconds?: number;
  readonly createdAt: string;
}

/** One data key of the inlet's node, as `kafka-inlet show` lists it (never its bytes). */
export interface KafkaKeyView {
  readonly id: string;
  readonly topic: string;
  readonly createdAt: string;
  readonly ageSeconds: number;
  readonly expiresAt: string;
  /** Its topic's current key: new records are sealed with it. */
  readonly current: boolean;
}

/** What the `kafka-inlet.*` methods report about an inlet. */
export interface KafkaInletView extends KafkaInletRecord {
  readonly name: string;
  /** The node's data keys (with `encrypt`), newest first. */
  readonly keys?: readonly KafkaKeyView[];
  readonly status?: WithIsoTimes<KafkaInletStatus, 'lastErrorAt'>;
  readonly error?: string;
}

/** What `kafka-inlet.list` returns. */
export interface KafkaInletList {
  readonly inlets: readonly KafkaInletView[];
}
