// What the configuration says about logging, per proxy and for the process. Parsed by
// ./keywords.ts, completed by checkProxyLogging() once the whole configuration is known.
import type { Loc } from '../../config/diagnostics.ts';
import type { LogFormat } from '../../sample/logformat.ts';
import type { LogFormatOrigin } from './formats.ts';
import { DEFAULT_LOG_LEN, type LogTarget } from './targets.ts';

/** HAProxy tags its lines with its program name; Turnpike's is "turnpike" ("log-tag haproxy" keeps old filters working). */
export const DEFAULT_LOG_TAG = 'turnpike';

export interface FormatText {
  readonly text: string;
  readonly loc: Loc;
  readonly origin: LogFormatOrigin;
}

export class GlobalLogSettings {
  targets: LogTarget[] = [];
  tag = DEFAULT_LOG_TAG;
  /** log-send-hostname: the name sent in headers (RFC 3164 then), or null. */
  sendHostname: string | null = null;
  /** The largest "len" of all log lines: the longest message built (global.max_syslog_len). */
  maxLen = DEFAULT_LOG_LEN;
}

export class ProxyLogSettings {
  targets: LogTarget[] = [];
  tag: string | null = null;
  /** log-format or option tcplog/httplog/httpslog; null: the "Connect from" line at accept. */
  format: FormatText | null = null;
  formatSd: FormatText | null = null;
  errorFormat: FormatText | null = null;
  /** unique-id-format and unique-id-header (unique-id.ts). */
  uniqueIdFormat: FormatText | null = null;
  uniqueIdHeader: string | null = null;
  compiledUniqueId: LogFormat | null = null;
  // Set by checkProxyLogging():
  compiled: LogFormat | null = null;
  compiledSd: LogFormat | null = null;
  compiledError: LogFormat | null = null;
  /** The tag and hostname sent (the proxy's log-tag, else the global one). */
  effectiveTag = DEFAULT_LOG_TAG;
  hostname: string | null = null;
  maxLen = DEFAULT_LOG_LEN;

  /** What a proxy takes from its defaults section: the targets (copied) and texts. */
  inherit(): ProxyLogSettings {
    const p = new ProxyLogSettings();
    p.targets = this.targets.map((t) => t.copy(t.origin));
    p.tag = this.tag;
    p.format = this.format;
    p.formatSd = this.formatSd;
    p.errorFormat = this.errorFormat;
    p.uniqueIdFormat = this.uniqueIdFormat;
    p.uniqueIdHeader = this.uniqueIdHeader;
    return p;
  }
}
