export { DEFAULT_GATEWAY_CONFIG, startGateway } from './gateway.ts';
export type { Gateway, GatewayConfig, GatewayDeps } from './gateway.ts';
export type { EngineerIdentity, GatewayCa, HostInfo, SessionGrant, SessionRequest } from './ca-client.ts';
export { CaRequestError, createHttpGatewayCa } from './http-ca.ts';
export type { HttpCaOptions } from './http-ca.ts';
export type { SessionRecorder, RecordingSession } from './recording/session-recorder.ts';
export { renderTranscript, TRANSCRIPT_LIMITS } from './recording/transcript.ts';
export type { Transcript, TranscriptLimits, TranscriptSource } from './recording/transcript.ts';
export { storeTranscript } from './recording/transcript-store.ts';
