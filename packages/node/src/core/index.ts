/**
 * The functional core of task negotiation: pure, deterministic decisions (scoring, group
 * selection, priority, capacity, the task state machine, aggregation, statistics) that the
 * networked layer calls. No I/O, no timers, no clock: time and randomness are parameters.
 */
export * from './scoring.js'
export * from './selection.js'
export * from './priority.js'
export * from './capacity.js'
export * from './task-machine.js'
export * from './aggregate.js'
export * from './skill-stats.js'
export * from './offer-cap.js'
export * from './reputation.js'
