// Actions that end the rule set with a response of the proxy's own: deny, tarpit, return
// and auth. Each sets t.reply and the log termination flags, and returns its verdict.
import { Verdict, type HttpAction, type HttpRuleTarget } from '../http-rule-target.ts';
import { parseHttpReply, ReplyKind, type ReplyTemplate } from './reply.ts';
import { replyEnv, type ActionParser } from './env.ts';

/** deny / tarpit / return: a configured reply, sent with the verdict of the action. */
export class ReplyAction implements HttpAction {
  readonly name: string;
  readonly reply: ReplyTemplate;
  private readonly verdict: Verdict;
  private readonly response: boolean;

  constructor(name: string, reply: ReplyTemplate, response: boolean) {
    this.name = name;
    this.reply = reply;
    this.response = response;
    this.verdict = name === 'deny' ? Verdict.Deny : name === 'tarpit' ? Verdict.Tarpit : Verdict.Reply;
  }

  run(t: HttpRuleTarget): Verdict {
    const tpl = this.reply;
    t.reply = tpl.kind === ReplyKind.Default ? t.errorReply(tpl.status) : tpl.build(t);
    if (this.verdict === Verdict.Reply) t.setTermination('L', this.response ? 'H' : 'R');
    else t.setTermination('P', this.verdict === Verdict.Tarpit ? 'T' : this.response ? 'H' : 'R');
    return this.verdict;
  }
}

/**
 * deny and tarpit: with no argument, or only "deny_status <code>", the proxy's error page is
 * used (an implicit "default-errorfiles"); as the first word, "deny_status" is otherwise
 * another name for "status".
 */
function parseDenyLike(name: 'deny' | 'tarpit'): ActionParser {
  return (args, i, env) => {
    const dflt = name === 'tarpit' ? 500 : env.response ? 502 : 403;
    const words = args[i] === 'deny_status' ? [...args.slice(0, i), 'status', ...args.slice(i + 1)] : args;
    const implicit = args[i] === undefined || args[i] === 'if' || args[i] === 'unless'
      || (args[i] === 'deny_status' && (args[i + 2] === undefined || args[i + 2] === 'if' || args[i + 2] === 'unless'));
    if (args[i] === 'deny_status' && args[i + 1] === undefined) return "'status' expects <status_code> as argument";
    if (implicit) {
      // "status <code> default-errorfiles", checked as HAProxy does
      const end = args[i] === 'deny_status' ? i + 2 : i;
      const r = parseHttpReply([...words.slice(0, end), 'default-errorfiles'], i, replyEnv(env), dflt);
      if (typeof r === 'string') return r;
      return { action: new ReplyAction(name, r.tpl, env.response), next: end };
    }
    const r = parseHttpReply(words, i, replyEnv(env), dflt);
    if (typeof r === 'string') return r;
    return { action: new ReplyAction(name, r.tpl, env.response), next: r.next };
  };
}

const parseReturn: ActionParser = (args, i, env) => {
  const r = parseHttpReply(args, i, replyEnv(env), 200);
  if (typeof r === 'string') return r;
  return { action: new ReplyAction('return', r.tpl, env.response), next: r.next };
};

/**
 * auth: the proxy's 401 page with its WWW-Authenticate lines replaced by a Basic challenge
 * for the realm (the name of the proxy holding the rule by default). HAProxy answers 407 only
 * to requests it proxies for "option http-use-proxy-header", which Turnpike does not have.
 */
class AuthAction implements HttpAction {
  readonly name = 'auth';
  private readonly challenge: string;

  constructor(realm: string) {
    this.challenge = `Basic realm="${realm}"`;
  }

  run(t: HttpRuleTarget): Verdict {
    const r = t.errorReply(401);
    r.res.headers.delete('www-authenticate');
    r.res.headers.add('www-authenticate', this.challenge);
    t.reply = r;
    t.setTermination('L', 'R');
    return Verdict.Reply;
  }
}

const parseAuth: ActionParser = (args, i, env) => {
  let realm = env.px.name;
  let next = i;
  if (args[i] === 'realm') {
    if (args[i + 1] === undefined) return 'missing realm value.\n';
    realm = args[i + 1]!;
    next = i + 2;
  }
  return { action: new AuthAction(realm), next };
};

export const FINAL_ACTIONS: Readonly<Record<string, ActionParser>> = {
  deny: parseDenyLike('deny'),
  tarpit: parseDenyLike('tarpit'),
  return: parseReturn,
  auth: parseAuth,
};
