import { Flags } from '@oclif/core';
import { InvalidInputError } from '../core/errors.js';
import { validateMetricsEndpoint, type MetricsEndpoint } from '../node/home/metrics-endpoint.js';

/** `--metrics HOST:PORT` and `--metrics-allow-remote`, shared by `node create` and `project create`. */
export const metricsFlags = {
  metrics: Flags.string({
    description: 'serve Prometheus metrics (/metrics) and health (/healthz, /readyz) on HOST:PORT, loopback only unless --metrics-allow-remote (port 0 picks a free port; node show names it)',
  }),
  'metrics-allow-remote': Flags.boolean({
    description: 'allow a --metrics address other than loopback: the endpoint has no authentication, so anyone who reaches it reads the metrics',
    default: false,
  }),
};

/** The metrics endpoint the flags ask for (undefined without --metrics); InvalidInputError for a bad or unacknowledged address. */
export function metricsEndpointFromFlags(flags: { metrics?: string; 'metrics-allow-remote'?: boolean }): MetricsEndpoint | undefined {
  if (flags.metrics === undefined) {
    if (flags['metrics-allow-remote'] === true) throw new InvalidInputError('cli', '--metrics-allow-remote needs --metrics HOST:PORT');
    return undefined;
  }
  return validateMetricsEndpoint(flags.metrics, { allowRemote: flags['metrics-allow-remote'] === true });
}
