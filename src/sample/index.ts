// Public API of the sample and ACL engine.
import './http-fetches.ts';
import './var-fetch.ts';
import './map.ts';
import './regsub.ts';
import './hash-converters.ts';
import './text-converters.ts';
import './json-query.ts';
import './jwt-converters.ts';
import './tls-fetches.ts';
export type { Arg, ArgSpec, ArgType } from './arg.ts';
export { parseArgList, ARG_TYPE_NAMES } from './arg.ts';
export type { CastType } from './casts.ts';
export { canCast, castSample, sampleToString } from './casts.ts';
export type { FetchDef, FetchResult, ResolvedFetchDef, SampleSource } from './fetch.ts';
export { registerFetches, findFetch, PENDING, SOURCE_NAMES, SOURCE_PHASES, currentBackend, usableServers } from './fetch.ts';
export type { ConvDef } from './converters.ts';
export { registerConverters, findConverter } from './converters.ts';
export type { MatchMethod, PatternFlags } from './pattern.ts';
export { Matcher, PatternGroup, loadPatternFile, readPatternLines, parseIntRange, parseIpPattern } from './pattern.ts';
export type { SafeRegex } from './regex.ts';
export { compileRegex, foldCase, linearEngineAvailable } from './regex.ts';
export type { ExprParseOptions, SampleRef } from './expr.ts';
export { parseSampleExpr, parseExprAt, SampleExprImpl } from './expr.ts';
export type { AclKeyword, AclResult } from './acl.ts';
export { registerAclKeywords, findAclKeyword, parseAclTerm, parseAcl, AclTermImpl, execAcl, aclUsable, invalidAclNameChar } from './acl.ts';
export type { CondTerm, UsableProblem } from './cond.ts';
export {
  parseCondition, ConditionImpl, checkUsable, checkUsableDetailed, registerPredefinedAcl, findPredefinedAcl, predefinedAclNames,
} from './cond.ts';
export type { LogFormatContext } from './logformat.ts';
export { compileLogFormat, renderLogFormat } from './logformat.ts';
export { checkSampleRefs, formatRefErrors } from './refs.ts';
