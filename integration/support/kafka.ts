// The broker helper lives with the bench (which runs the same broker); tests import it from here.
export { KAFKA_MISSING, kafkaJars, kafkaRequired, kafkaVersion, startTestKafka } from '../../bench/support/kafka-broker.js';
export type { TestKafka, TestKafkaOptions } from '../../bench/support/kafka-broker.js';
