// The "acl" proxy keyword: "acl <name> <criterion> [flags] [operator] [<value>] ...".
// Lines with the same name are ORed into one ACL of the proxy (ProxyConfig.acls).
import { ALL, registerProxyKeywords } from '../config/registry.ts';
import type { AclParseContext } from './types.ts';
import { invalidAclNameChar, parseAcl } from './acl.ts';

registerProxyKeywords({
  name: 'acl',
  // HAProxy accepts ACLs in named defaults sections (for their own rules), not in anonymous ones.
  sections: ALL,
  parse(px, args, ctx) {
    if (px.kind === 'defaults' && px.name === '') return `'${args[0]}' not allowed in anonymous 'defaults' section.`;
    const name = args[1] ?? '';
    if (name === '') return `'${args[0]}' expects an ACL name and a criterion.`;
    const bad = invalidAclNameChar(name);
    if (bad !== null) return `character '${bad}' is not permitted in acl name '${name}'.`;
    if (name.toLowerCase() === 'or') {
      return `acl name '${name}' will never match. 'or' is used to express a logical disjunction within a condition.`;
    }
    const actx: AclParseContext = { loc: ctx.loc, diag: ctx.diag, acls: px.acls, baseDir: process.cwd(), proxyName: px.name };
    const r = parseAcl(args.slice(1), px.acls, actx);
    if (typeof r === 'string') return `error detected while parsing ACL '${name}' : ${r}.`;
  },
});
