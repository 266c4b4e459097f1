// http-request use-service <name>: the request is answered by a service of the proxy instead
// of a server (HAProxy's applets registered as services). Turnpike has HAProxy 2.6's one
// service, "prometheus-exporter".
import { Verdict, type HttpAction, type HttpReply, type HttpRuleTarget } from '../http-rule-target.ts';
import type { ActionParser } from './env.ts';

export const SERVICE_NAMES = ['prometheus-exporter'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** What a stream running services provides; the HTTP stream implements it (runtime/http-stream.ts). */
export interface ServiceTarget {
  /**
   * The service's response to the current request. Counts the request as intercepted when
   * the frontend's rules started the service (HAProxy counts intercepted_req when fe == be).
   */
  serviceReply(name: ServiceName): HttpReply;
}

class UseService implements HttpAction {
  readonly name = 'use-service';
  readonly service: ServiceName;

  constructor(service: ServiceName) {
    this.service = service;
  }

  run(t: HttpRuleTarget): Verdict {
    // Only the HTTP stream runs http-request rules on live traffic, and it is a ServiceTarget.
    t.reply = (t as HttpRuleTarget & ServiceTarget).serviceReply(this.service);
    // A local answer at the request phase, as HAProxy flags applets (SF_ERR_LOCAL, SF_FINST_R).
    t.setTermination('L', 'R');
    return Verdict.Reply;
  }
}

function isService(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** HAProxy's stream_parse_use_service() checks and texts. */
export const parseUseService: ActionParser = (args, i) => {
  const name = args[i];
  if (name === undefined || name === '') return `'${args[i - 1]}' expects a service name.`;
  if (!isService(name)) return `'${name}' unknown service name.`;
  return { action: new UseService(name), next: i + 1 };
};
