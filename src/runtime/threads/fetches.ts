// Sample fetches about threads (configuration.txt 7.3.2).
import { registerFetches, sint } from '../../sample/fetch.ts';
import { threads } from './context.ts';

registerFetches(
  // The calling thread's number, from 0 to nbthread-1.
  { name: 'thread', out: 'sint', use: 'internal', fn: () => sint(threads.index) },
);
