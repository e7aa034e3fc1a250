export { buildApp } from './http/app.ts';
export { startServer } from './server.ts';
export type { RunningServer } from './server.ts';
export { openServices, openStore } from './ca-services.ts';
export { loadConfig } from './config.ts';
export type { CaConfig } from './config.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { main } from './cli/main.ts';
