/**
 * Helpers for stopping handlers: the error an aborted signal stands for, and an abortable wait.
 */
import { HandlerError, isHandlerErrorCode } from './types.js'

/**
 * The {@link HandlerError} an aborted `signal` stands for: its reason when that already is one
 * (e.g. HANDLER_TIMEOUT set by {@link runHandler}), else HANDLER_ABORTED with the reason's text.
 */
export function abortError (signal: AbortSignal): HandlerError {
  const reason: unknown = signal.reason
  if (reason instanceof HandlerError) return reason
  if (reason instanceof Error && 'code' in reason && isHandlerErrorCode(reason.code)) {
    return new HandlerError(reason.code, reason.message, { cause: reason })
  }
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new HandlerError('HANDLER_TIMEOUT', `handler timed out: ${reason.message}`, { cause: reason })
  }
  if (reason instanceof Error && reason.name !== 'AbortError') {
    return new HandlerError('HANDLER_ABORTED', `handler aborted: ${reason.message}`, { cause: reason })
  }
  if (typeof reason === 'string' && reason !== '') return new HandlerError('HANDLER_ABORTED', `handler aborted: ${reason}`)
  return new HandlerError('HANDLER_ABORTED', 'handler aborted')
}

/** Waits `ms` milliseconds; rejects with {@link abortError} as soon as `signal` aborts. */
export async function abortableSleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortError(signal)
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
