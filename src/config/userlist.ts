// The "userlist" section (configuration.txt 3.4): users and groups for HTTP authentication.
import type { Userlist } from './model.ts';

export function parseUserlistLine(ul: Userlist, words: readonly string[]): string | void {
  const kw = words[0];
  if (kw === 'group') {
    const name = words[1];
    if (!name) return `'group' expects <name> as argument.`;
    if (ul.groups.has(name)) return `userlist '${ul.name}': group '${name}' is already defined.`;
    const members: string[] = [];
    for (let i = 2; i < words.length; i++) {
      if (words[i] !== 'users' || words[i + 1] === undefined) return `'group' only supports 'users' option, got '${words[i]}'.`;
      members.push(...words[++i]!.split(','));
    }
    ul.groups.set(name, members);
    return;
  }
  if (kw === 'user') {
    const name = words[1];
    if (!name) return `'user' expects <name> as argument.`;
    if (ul.users.has(name)) return `userlist '${ul.name}': user '${name}' is already defined.`;
    let password: string | null = null;
    let insecure = false;
    const groups: string[] = [];
    for (let i = 2; i < words.length; i++) {
      const opt = words[i];
      const v = words[i + 1];
      if (v === undefined) return `'user' : option '${opt}' expects an argument.`;
      if (opt === 'password') password = v;
      else if (opt === 'insecure-password') { password = v; insecure = true; }
      else if (opt === 'groups') groups.push(...v.split(','));
      else return `'user' only supports 'password', 'insecure-password' and 'groups' options, got '${opt}'.`;
      i++;
    }
    if (password === null) return `'user' : user '${name}' has no password ('password' or 'insecure-password').`;
    ul.users.set(name, { name, password, insecure, groups });
    return;
  }
  return `unknown keyword '${kw}' in 'userlist' section`;
}
