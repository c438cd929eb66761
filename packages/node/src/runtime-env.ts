/**
 * Settings that must be in place before libp2p is loaded. libp2p creates a debug logger for
 * every stream, and each one asks whether stderr is a terminal (an isatty system call) unless
 * DEBUG_COLORS says whether to use colours: measured at 3 to 8% of a busy node's CPU.
 */
process.env.DEBUG_COLORS ??= 'no'
export {}
