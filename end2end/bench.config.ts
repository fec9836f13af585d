// Browser benchmarks: the same servers as the tests (playwright.config.ts), the specs in bench/.
// Run after a release build: `npx playwright test --config bench.config.ts`. They print figures
// and assert no timings.
import base from './playwright.config';

export default { ...base, testDir: './bench' };
