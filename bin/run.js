#!/usr/bin/env node
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'NodeVersionWarning' || /NodeDeprecationWarning|AWS SDK for JavaScript/.test(String(w.message))) return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
