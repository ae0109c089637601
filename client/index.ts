/** The CLI client's public surface: the program factory, its I/O contract and the Friendli logic. */
export { createProgram, runProgram } from "./program.js";
export type { ClientIO, TextSink } from "./io.js";
export { ExitCode } from "./exit.js";
export {
  classifyStatus,
  describeErrorCode,
  describePhase,
  FriendliError,
  getEndpointState,
  isRestartable,
  parseEndpointState,
  requestRestart,
  requestWake,
} from "./friendli.js";
export type { EndpointState, FriendliConfig, FriendliDeps, StatusClass } from "./friendli.js";
export { ensureAwake } from "./wake.js";
export type { WakeOptions } from "./wake.js";
