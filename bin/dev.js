#!/usr/bin/env -S node --import tsx --no-warnings
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
const { execute } = await import('@oclif/core');
await execute({ development: true, dir: import.meta.url });
