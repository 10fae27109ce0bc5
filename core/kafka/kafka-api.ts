/**
 * The Kafka APIs the inlet looks into, the versions it understands, and where their
 * flexible (compact, tagged-field) encodings start. Everything else passes byte for byte.
 * Source: the message definitions of Apache Kafka (clients/src/main/resources/common/message).
 */
export const ApiKey = {
  produce: 0,
  fetch: 1,
  metadata: 3,
  findCoordinator: 10,
  apiVersions: 18,
  describeQuorum: 55,
  describeCluster: 60,
  shareFetch: 78,
  shareAcknowledge: 79,
} as const;

/** First flexible version of each API the inlet parses. */
const FLEXIBLE_FROM: Readonly<Record<number, number>> = {
  [ApiKey.produce]: 9,
  [ApiKey.fetch]: 12,
  [ApiKey.metadata]: 9,
  [ApiKey.findCoordinator]: 3,
  [ApiKey.apiVersions]: 3,
};

/**
 * Highest version of each rewritten API the inlet advertises (it lowers the broker's
 * ApiVersions answer to these): Produce 10+ and Fetch 16+ carry broker endpoints in
 * tagged fields, Produce 13+ and Fetch 13+ name topics by id only.
 */
export const MAX_VERSION: Readonly<Record<number, number>> = {
  [ApiKey.produce]: 9,
  [ApiKey.fetch]: 12,
  [ApiKey.metadata]: 12,
  [ApiKey.findCoordinator]: 5,
};

/** APIs whose answers carry broker endpoints the inlet does not rewrite: hidden from ApiVersions. */
export const HIDDEN_APIS: ReadonlySet<number> = new Set([ApiKey.describeQuorum, ApiKey.describeCluster, ApiKey.shareFetch, ApiKey.shareAcknowledge]);

/** True when `version` of `apiKey` uses the flexible encoding (only for APIs in FLEXIBLE_FROM). */
export function isFlexible(apiKey: number, version: number): boolean {
  const from = FLEXIBLE_FROM[apiKey];
  return from !== undefined && version >= from;
}

/** True when the response header of `apiKey`/`version` has a tagged-field section (ApiVersions never does). */
export function responseHeaderTagged(apiKey: number, version: number): boolean {
  return apiKey !== ApiKey.apiVersions && isFlexible(apiKey, version);
}

/** Kafka error codes the inlet answers with. */
export const KafkaErrorCode = {
  corruptMessage: 2,
  /** Retriable: the inlet could not reach the producer's node for a data key. */
  networkException: 13,
  topicAuthorizationFailed: 29,
  unsupportedCompressionType: 76,
  invalidRecord: 87,
} as const;
