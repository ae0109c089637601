export type {
  StagedEvent,
  StagedEventName,
  Stage,
  SummarySource,
  ReasoningSummarySource,
  Timings,
  Usage,
  RouteInfo,
} from "./types.js";
export { encodeEvent, KEEPALIVE_FRAME } from "./sse.js";
