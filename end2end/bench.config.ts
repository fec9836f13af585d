// Browser benchmarks (bench/): the tests' browser settings, against a shop that
// `scripts/bench-browser` starts on the tests' port with the benchmark products in its database.
// They print figures and assert no timings.
import base from './playwright.config';

export default { ...base, testDir: './bench', testMatch: '**/*.bench.ts', webServer: undefined };
