// Check keywords for the configuration parser: "option tcp-check" and "tcp-check" (registered
// by tcp-check.ts), and the hook that hands tcp-check rulesets down from defaults sections.
import { onInheritDefaults } from '../config/parser.ts';
import { inheritTcpChecks, onFirstTcpCheckUse } from './tcp-check.ts';

// The parser imports this module while it is itself loading, so its hook list cannot be
// touched now: the hook is installed when the first tcp-check keyword is parsed, which is
// before any proxy can inherit a ruleset (a defaults section only has one after that).
onFirstTcpCheckUse(() => onInheritDefaults(inheritTcpChecks));
