/**
 * A node:test reporter that names each failing test the moment it fails (file, test, error),
 * beside the dot reporter: if a run stalls later, CI's output still says what failed.
 */
import type { TestEvent } from 'node:test/reporters';

export default async function* failureReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    const err = details.error as Error & { cause?: unknown };
    // A suite fails when one of its tests does; the test itself was already named.
    if ((err as { failureType?: string }).failureType === 'subtestsFailed') continue;
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause ?? err.message);
    yield `\nFAILED ${file ?? '?'} › ${name}: ${cause.split('\n').slice(0, 6).join('\n  ')}\n`;
  }
}
