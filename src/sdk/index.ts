// The typed client for the staged dialect: `for await (const ev of client.stream({...}))`.
// Browser-safe (fetch + eventsource-parser); the CLI and the playground both use it.
export {
  createStagedClient,
  readMessages,
  type ChatBody,
  type StagedClient,
  type StagedClientOptions,
  type StagedCompletion,
  type StreamOptions,
} from "./client.js";
export { GatewayHttpError, GatewayStreamError, GatewayUnreachableError, describeNetworkError } from "./errors.js";
export { parseStagedEvent, isStagedEventName, STAGED_EVENT_NAMES, type ParsedEvent } from "./events.js";
export type * from "../events/index.js";
