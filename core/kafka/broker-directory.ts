import { connect } from 'node:net';
import { IoError, TimeoutError } from '../errors.js';
import { metadataEndpoints, type Endpoint } from './broker-endpoints.js';
import { FrameSplitter, frame } from './frame-splitter.js';
import { KafkaWriter } from './kafka-writer.js';

/** Largest Metadata answer the outlet reads from its bootstrap server. */
const MAX_METADATA_BYTES = 16 * 1024 * 1024;

/**
 * Asks a Kafka bootstrap server for its brokers: one Metadata v4 request for no topics on
 * a fresh connection; resolves with broker id -> endpoint. This is how an outlet learns
 * which addresses it may connect to (the brokers of the cluster it was given, nothing else).
 */
export async function fetchBrokers(bootstrap: { host: string; port: number }, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Map<number, Endpoint>> {
  const request = new KafkaWriter(64)
    .int16(3).int16(4).int32(1).string('symbolon-kafka-outlet', false)
    .int32(0) // topics: none
    .int8(0) // allow_auto_topic_creation: false
    .finish();
  const socket = connect({ host: bootstrap.host, port: bootstrap.port });
  const splitter = new FrameSplitter(MAX_METADATA_BYTES);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    return await new Promise<Map<number, Endpoint>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TimeoutError('portal', `kafka bootstrap server ${bootstrap.host}:${bootstrap.port} did not answer Metadata within ${timeoutMs} ms`)), timeoutMs);
      const done = (error: Error | undefined, value?: Map<number, Endpoint>): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value!);
      };
      const onAbort = (): void => done(new IoError('portal', 'aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => socket.write(frame(request)));
      socket.on('error', (error) => done(new IoError('portal', `kafka bootstrap server ${bootstrap.host}:${bootstrap.port}: ${error.message}`, { cause: error })));
      socket.on('close', () => done(new IoError('portal', `kafka bootstrap server ${bootstrap.host}:${bootstrap.port} closed the connection`)));
      socket.on('data', (chunk: Buffer) => {
        try {
          const [payload] = splitter.push(chunk);
          if (payload === undefined) return;
          const brokers = new Map<number, Endpoint>();
          for (const span of metadataEndpoints(payload, 4, 4)) brokers.set(span.nodeId, { host: span.host, port: span.port });
          done(undefined, brokers);
        } catch (error) {
          done(error as Error);
        }
      });
    });
  } finally {
    socket.destroy();
  }
}
