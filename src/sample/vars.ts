// Variables (set-var / var()): the process scope is shared by every stream; the others
// belong to the session, transaction or message that creates them.
import type { Sample } from './types.ts';

export const procVars = new Map<string, Sample>();
