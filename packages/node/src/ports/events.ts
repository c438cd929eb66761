/** Where a service sends the events that library users and the control API see. */
export interface EventSink<Events> {
  emit: <K extends keyof Events & string>(event: K, payload: Events[K]) => void
}
