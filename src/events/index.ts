export type {
  StagedEvent,
  StagedEventName,
  EventData,
  Stage,
  SummarySource,
  ReasoningSummarySource,
  Timings,
  Usage,
  RouteInfo,
  ToolCallDelta,
  Source,
  ValidationReport,
} from "./types.js";
export { formatSse, KEEPALIVE, messageSize, stagedMessage, type LoggedMessage, type SseComment, type SseEvent, type SseMessage, type SseOut } from "./sse.js";
export {
  noopObserver,
  REQUEST_OUTCOMES,
  isFailure,
  type RequestObserver,
  type RequestRecord,
  type RequestOutcome,
  type ValidationEvent,
  type ValidationRecord,
  type ValidationTry,
} from "./observer.js";
