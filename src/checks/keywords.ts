// Check keywords for the configuration parser: "option tcp-check" and "tcp-check" (registered
// by tcp-check.ts), "option httpchk" and "http-check" (http-check.ts), and the hooks that hand
// their rulesets down from defaults sections.
import { onInheritDefaults } from '../config/parser.ts';
import { inheritTcpChecks, onFirstTcpCheckUse } from './tcp-check.ts';
import { inheritHttpChecks, onFirstHttpCheckUse } from './http-check.ts';

// The parser imports this module while it is itself loading, so its hook list cannot be
// touched now: each hook is installed when the first keyword of its kind is parsed, which is
// before any proxy can inherit a ruleset (a defaults section only has one after that).
onFirstTcpCheckUse(() => onInheritDefaults(inheritTcpChecks));
onFirstHttpCheckUse(() => onInheritDefaults(inheritHttpChecks));
