#!/usr/bin/env node
// Like access-server, the CLI runs its TypeScript sources through tsx: no separate compile step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
