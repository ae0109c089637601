// Process entry for the bench's mock upstream: options as JSON in BENCH_MOCK_OPTIONS, the port
// it got printed on stdout as `listening <port>` so the bench can use port 0.
import type { DeepPartial, MockOptions } from "../mock-upstream/index.js";
import { startBenchMock } from "./mock.js";

const options = JSON.parse(process.env.BENCH_MOCK_OPTIONS ?? "{}") as DeepPartial<MockOptions>;
const mock = await startBenchMock(options, Number(process.env.BENCH_MOCK_PORT ?? "0"));
process.stdout.write(`listening ${mock.port}\n`);
const stop = (): void => void mock.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
