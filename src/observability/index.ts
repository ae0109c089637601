export { createLogger, silentLogger, type Logger } from "./logger.js";
export {
  createMetrics,
  CIRCUIT_STATES,
  DEFAULT_MAX_MODEL_LABELS,
  LATENCY_BUCKETS_SECONDS,
  OTHER_LABEL,
  type CircuitState,
  type Metrics,
  type MetricsOptions,
} from "./metrics.js";
export {
  createMonitor,
  DEFAULT_LOG_COUNT,
  type Monitor,
  type MonitorEvent,
  type MonitorEventInput,
  type MonitorEventType,
  type MonitorHealth,
  type MonitorLevel,
  type MonitorOptions,
  type MonitorStats,
  type ValidationTally,
} from "./monitor.js";
export {
  createTimeSeries,
  emptyCounts,
  latencyLists,
  reduceLatencies,
  seriesBucket,
  type BucketLatency,
  type Series,
  type SeriesBucket,
  type SeriesOptions,
  type TimeSeries,
} from "./series.js";
export {
  computeWindowStats,
  LATENCY_KEYS,
  nearestRank,
  percentiles,
  toSample,
  type Breakdown,
  type LatencyKey,
  type Percentiles,
  type RequestSample,
  type WindowStats,
} from "./stats.js";
export {
  createSampleWindow,
  DEFAULT_BUCKET_SECONDS,
  DEFAULT_SERIES_MINUTES,
  DEFAULT_WINDOW_SIZE,
  fromWire,
  toWire,
  type FleetNumbers,
  type FleetSeries,
  type FleetWindow,
  type NumbersScope,
  type SampleWindow,
  type WireSample,
} from "./fleet-numbers.js";
export { combineObservers, combineObserversWithLogger, type ObserverErrorHandler } from "./observers.js";
export { createLabelCap, isLabelSafe, MAX_LABEL_CHARS } from "./label-cap.js";
export { createRing, type Ring } from "./ring.js";
export { reasoningNotices, MAX_NOTICED_MODELS } from "./notices.js";
