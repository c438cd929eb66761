/** Resolves when `check()` becomes true, re-checking whenever `subscribe` signals a change. */
export async function until (check: () => boolean, subscribe: (changed: () => void) => () => void, timeoutMs: number, what: string): Promise<void> {
  if (check()) return
  await new Promise<void>((resolve, reject) => {
    let unsubscribe = (): void => {}
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    unsubscribe = subscribe(() => {
      if (check()) {
        clearTimeout(timer)
        unsubscribe()
        resolve()
      }
    })
  })
}

/** Races a promise against a timeout with a message that says what was awaited. */
export async function withTimeout<T> (promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)) }, timeoutMs)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}
