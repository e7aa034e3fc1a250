export { main, buildProgram } from './main.ts';
export type { CliIo, RunResult } from './io.ts';
export { ApiClient } from './api-client.ts';
export type { ApiClientOptions, TokenSource } from './api-client.ts';
export type * from './api-types.ts';
export { ApiError, CliError, UnreachableError } from './errors.ts';
