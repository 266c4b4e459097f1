// HAProxy 2.6's predefined log formats (configuration.txt 8.2.2-8.2.4, log.c), selected by
// "option tcplog", "option httplog [clf]" and "option httpslog". Without any of them nor a
// "log-format", HAProxy logs one "Connect from" line per accepted connection (8.2.1).

export const TCP_LOG_FORMAT = '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq';

export const HTTP_LOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';

export const CLF_HTTP_LOG_FORMAT =
  '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl';

export const HTTPS_LOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r ' +
  '%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc';

/** Where a proxy's log format comes from (the last of these lines wins). */
export type LogFormatOrigin = 'log-format' | 'option tcplog' | 'option httplog' | 'option httplog clf' | 'option httpslog';

export function predefinedFormat(origin: Exclude<LogFormatOrigin, 'log-format'>): string {
  switch (origin) {
    case 'option tcplog': return TCP_LOG_FORMAT;
    case 'option httplog': return HTTP_LOG_FORMAT;
    case 'option httplog clf': return CLF_HTTP_LOG_FORMAT;
    case 'option httpslog': return HTTPS_LOG_FORMAT;
  }
}
