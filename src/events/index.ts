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
export { encodeEvent, KEEPALIVE_FRAME } from "./sse.js";
export {
  noopObserver,
  type RequestObserver,
  type RequestRecord,
  type RequestOutcome,
  type ValidationEvent,
  type ValidationRecord,
  type ValidationTry,
} from "./observer.js";
